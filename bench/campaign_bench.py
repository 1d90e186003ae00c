"""Campaign audience benchmark: Tutela's audience query against hand-written SQL for the same set.

Run: .venv/bin/python bench/campaign_bench.py [--subscribers 100000] [--rounds 5]
With DATABASE_URL naming PostgreSQL, the same run repeats on a throwaway PostgreSQL test database
(test_<name>), built the same way.

Issue 6's size, 1,000,000 subscribers (the requirement is for PostgreSQL):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/somedb \
        .venv/bin/python bench/campaign_bench.py --subscribers 1000000 --postgres-only
(building the data takes a few minutes; --postgres-only skips the SQLite run.)

The data is generated with bulk SQL inserts (executemany in batches), not through the services,
because only the stored rows matter to the query: newsletter subscribers (without an address,
which the audience never reads), their consent ledger (95 % gave consent, 10 % of those withdrew
it later and 2 % gave it again; 30 % also have a record for another purpose, so the ledger's
index has to tell purposes apart), the suppression list (1 % of subscribers, linked to their
subject) and two processing blockers standing in for issue 5's objection (1 %) and restriction
(0.5 %), registered through tutela.policy.blockers exactly as the rights app will register them.

Measured, interleaved round by round, best round of each, on the wall clock (the work is the
database's; on PostgreSQL it runs in the server's process):
- Tutela: `campaign_audience()` as the ORM compiles it, executed with a DB-API cursor and every
  (id, subject) fetched, exactly as the hand-written queries are (also shown: the same through
  the ORM's values_list, which adds Python objects per row; the send never fetches the audience,
  it inserts it with INSERT ... SELECT);
- hand-written SQL for the same set, in three shapes: the consent test as an anti-join on the
  ledger (the logic Tutela's query has, written by hand), the latest ledger record per
  subscriber by an index lookup, and, on PostgreSQL, DISTINCT ON over the ledger joined by hash;
  each fetched the same way. The fastest of them is the baseline of the ratio;
- also: the COUNT(*) of each, and the send-time step itself, campaign_audience_freeze (the same
  query as INSERT ... SELECT into the delivery records, rolled back after each round).
Every contender must return the same set, checked before timing.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from sqlite3 import sqlite_version
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--subscribers", type=int, default=100_000, help="newsletter subscribers")
parser.add_argument("--rounds", type=int, default=5)
parser.add_argument("--freeze-rounds", type=int, default=2, help="rounds of the INSERT ... SELECT")
parser.add_argument("--postgres-only", action="store_true", help="skip the SQLite run")
parser.add_argument("--postgres", action="store_true", help=argparse.SUPPRESS)  # child run
args = parser.parse_args()

_work = tempfile.mkdtemp(prefix="tutela-campaign-bench-")
_pg_url = os.environ.get("DATABASE_URL", "")
os.environ.update(
    {
        "TUTELA_SECRET_KEY": "bench-only-secret-key-" + "b" * 40,
        "TUTELA_DEBUG": "0",
        "TUTELA_SSL_REDIRECT": "0",
        "CACHE_URL": "locmem://",
        "TUTELA_VAR_DIR": _work,
        "TUTELA_AUDIT_SIGNING_KEY_FILE": f"{_work}/audit-signing-key.pem",
        "TUTELA_KEY_FILE": f"{_work}/keys/master-keys.json",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
)
os.environ.pop("TUTELA_KEYSTORE_DATABASE_URL", None)
if not args.postgres:
    os.environ["DATABASE_URL"] = f"sqlite:///{_work}/bench.sqlite3"

import django  # noqa: E402

django.setup()
logging.getLogger("tutela").setLevel(logging.WARNING)  # migrate's role sync, each freeze

from django.core.management import call_command  # noqa: E402
from django.db import connection, models, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from tutela.campaigns.models import Campaign, Delivery  # noqa: E402
from tutela.campaigns.selectors import campaign_audience  # noqa: E402
from tutela.campaigns.sending import campaign_audience_freeze  # noqa: E402
from tutela.consent.api import (  # noqa: E402
    NEWSLETTER_PURPOSE,
    ConsentRecord,
    Subscriber,
    SuppressedAddress,
)
from tutela.policy.api import Purpose, processing_blocker_register  # noqa: E402

CHUNK = 10_000
OTHER_PURPOSE = "personalised_ads"


class Objection(models.Model):
    """Stand-in for issue 5's record of an objection to direct marketing."""

    subject_id = models.UUIDField(db_index=True)

    objects: models.Manager[Objection] = models.Manager()

    class Meta:
        app_label = "campaign_bench"
        db_table = "bench_objection"

    def __str__(self) -> str:
        return str(self.subject_id)


class Restriction(models.Model):
    """Stand-in for issue 5's record of a restriction of processing."""

    subject_id = models.UUIDField(db_index=True)

    objects: models.Manager[Restriction] = models.Manager()

    class Meta:
        app_label = "campaign_bench"
        db_table = "bench_restriction"

    def __str__(self) -> str:
        return str(self.subject_id)


processing_blocker_register(
    "objection",
    subject="subject_id",
    rows=lambda purpose: Objection.objects.all() if purpose.direct_marketing else None,
)


def _restricted(purpose: Purpose) -> models.QuerySet[Restriction]:
    return Restriction.objects.all()


processing_blocker_register("restriction", subject="subject_id", rows=_restricted)


def setup_database() -> None:
    if connection.vendor == "postgresql":
        connection.creation.create_test_db(
            verbosity=0, autoclobber=True, keepdb=False, serialize=False
        )
    else:
        call_command("migrate", verbosity=0)
    with connection.schema_editor() as editor:
        editor.create_model(Objection)
        editor.create_model(Restriction)


def teardown_database() -> None:
    if connection.vendor == "postgresql":
        connection.creation.destroy_test_db(
            connection.settings_dict["NAME"].removeprefix("test_"), verbosity=0
        )


def db_uuid(value: uuid.UUID) -> Any:
    """A UUID as the database column stores it (SQLite: 32 hex digits)."""
    return value.hex if connection.vendor == "sqlite" else value


def db_time(value: Any) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def insert(model: type[models.Model], columns: list[str], rows: Iterator[tuple[Any, ...]]) -> int:
    """Bulk-load rows into a model's table: COPY on PostgreSQL, executemany of CHUNK rows on
    SQLite."""
    quote = connection.ops.quote_name
    table, names = quote(model._meta.db_table), ", ".join(quote(c) for c in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
        batch: list[tuple[Any, ...]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= CHUNK:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def build(n: int) -> tuple[float, dict[str, int]]:
    """The dataset; returns the seconds it took and row counts."""
    started = time.perf_counter()
    rng = random.Random(6)
    subjects = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(n)]
    now = db_time(timezone.now())
    sha = "0" * 64
    with transaction.atomic():
        insert(
            Subscriber,
            ["id", "subject_id", "created_at", "pending_channel", "pending_notice_version",
             "pending_notice_sha256"],
            ((db_uuid(uuid.uuid4()), db_uuid(s), now, "", "", "") for s in subjects),
        )  # fmt: skip
    gave = [s for s in subjects if rng.random() < 0.95]
    withdrew = [s for s in gave if rng.random() < 0.10]
    again = [s for s in withdrew if rng.random() < 0.20]
    other = [s for s in subjects if rng.random() < 0.30]
    columns = [
        "record_id", "pii_principal_id", "purpose", "event_type", "event_time",
        "collection_method", "notice_version", "notice_sha256", "event_by", "evidence",
    ]  # fmt: skip

    def records(who: list[uuid.UUID], purpose: str, event: str) -> Iterator[tuple[Any, ...]]:
        for subject in who:
            yield (db_uuid(uuid.uuid4()), db_uuid(subject), purpose, event, now, "web_form",
                   "1.0", sha, "data subject", "bench")  # fmt: skip

    given, withdrawn = ConsentRecord.EventType.GIVEN, ConsentRecord.EventType.WITHDRAWN
    # Ledger order: every consent, then the withdrawals, then consent given again.
    for who, purpose, event in (
        (gave, NEWSLETTER_PURPOSE, given), (other, OTHER_PURPOSE, given),
        (withdrew, NEWSLETTER_PURPOSE, withdrawn), (again, NEWSLETTER_PURPOSE, given),
    ):  # fmt: skip
        with transaction.atomic():
            insert(ConsentRecord, columns, records(who, purpose, event))
    suppressed = rng.sample(subjects, n // 100)
    objecting = rng.sample(subjects, n // 100)
    restricted = rng.sample(subjects, n // 200)
    with transaction.atomic():
        insert(
            SuppressedAddress,
            ["email_hash", "reason", "subject_id", "created_at", "created_by"],
            ((uuid.uuid4().hex * 2, "request", db_uuid(s), now, "bench") for s in suppressed),
        )
        insert(Objection, ["subject_id"], ((db_uuid(s),) for s in objecting))
        insert(Restriction, ["subject_id"], ((db_uuid(s),) for s in restricted))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    counts = {
        "subscribers": n,
        "ledger": len(gave) + len(other) + len(withdrew) + len(again),
        "suppressed": len(suppressed),
        "objection": len(objecting),
        "restriction": len(restricted),
    }
    return time.perf_counter() - started, counts


def hand_written() -> dict[str, tuple[str, list[str]]]:
    """The same set in SQL written by hand: {shape: (sql, parameters)}."""
    given = ConsentRecord.EventType.GIVEN.value
    exclusions = """
      AND NOT EXISTS (SELECT 1 FROM consent_suppressedaddress x WHERE x.subject_id = s.subject_id)
      AND NOT EXISTS (SELECT 1 FROM bench_objection o WHERE o.subject_id = s.subject_id)
      AND NOT EXISTS (SELECT 1 FROM bench_restriction r WHERE r.subject_id = s.subject_id)"""
    shapes = {
        "anti-join on the ledger": (
            f"""
    SELECT s.id, s.subject_id FROM consent_subscriber s
    WHERE EXISTS (
        SELECT 1 FROM consent_consentrecord g
        WHERE g.pii_principal_id = s.subject_id AND g.purpose = %s AND g.event_type = %s
          AND NOT EXISTS (SELECT 1 FROM consent_consentrecord l
                          WHERE l.pii_principal_id = g.pii_principal_id AND l.purpose = %s
                            AND l.id > g.id)) {exclusions}""",
            [NEWSLETTER_PURPOSE, given, NEWSLETTER_PURPOSE],
        ),
        "latest record by index": (
            f"""
    SELECT s.id, s.subject_id FROM consent_subscriber s
    WHERE (SELECT c.event_type FROM consent_consentrecord c
           WHERE c.pii_principal_id = s.subject_id AND c.purpose = %s
           ORDER BY c.id DESC LIMIT 1) = %s {exclusions}""",
            [NEWSLETTER_PURPOSE, given],
        ),
    }
    if connection.vendor == "postgresql":
        shapes["DISTINCT ON, hash joins"] = (
            f"""
    SELECT s.id, s.subject_id FROM consent_subscriber s
    JOIN (SELECT DISTINCT ON (pii_principal_id) pii_principal_id, event_type
          FROM consent_consentrecord WHERE purpose = %s
          ORDER BY pii_principal_id, id DESC) last
      ON last.pii_principal_id = s.subject_id AND last.event_type = %s
    WHERE TRUE {exclusions}""",
            [NEWSLETTER_PURPOSE, given],
        )
    return shapes


def fetch(sql: str, params: Any) -> Callable[[], list[tuple[Any, ...]]]:
    def run() -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    return run


def interleaved(rounds: int, runs: dict[str, Callable[[], Any]]) -> dict[str, float]:
    """Best wall-clock seconds of each run; every round runs each once, side by side."""
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(rounds):
        for label, run in runs.items():
            gc.collect()
            gc.disable()
            started = time.perf_counter()
            try:
                run()
            finally:
                best[label] = min(best[label], time.perf_counter() - started)
                gc.enable()
    return best


def freeze_seconds(rounds: int) -> tuple[float, int]:
    """Best seconds of campaign_audience_freeze (INSERT ... SELECT), rolled back each round."""
    best, written = float("inf"), 0
    for _ in range(rounds):
        campaign = Campaign.objects.create(
            subject="Bench", text_body="Hi.", status=Campaign.Status.SENDING
        )
        started = time.perf_counter()
        with transaction.atomic():
            campaign_audience_freeze(campaign.pk)
            best = min(best, time.perf_counter() - started)
            written = Delivery.objects.filter(campaign=campaign).count()
            transaction.set_rollback(True)
        Campaign.objects.filter(pk=campaign.pk).delete()
    return best, written


def _pg_version() -> str:
    version: int = getattr(connection, "pg_version", 0)
    return f"{version // 10000}.{version % 10000}"


def normalised(rows: list[tuple[Any, ...]]) -> set[tuple[uuid.UUID, uuid.UUID]]:
    """Rows as UUID pairs, whichever way the driver returned them (SQLite: hex text)."""
    return {(uuid.UUID(str(a)), uuid.UUID(str(b))) for a, b in rows}


def measure(rounds: int) -> dict[str, Any]:
    # Tutela's statement is compiled per run, as the send does (the blockers are asked again).
    def tutela() -> list[tuple[Any, ...]]:
        sql, params = campaign_audience().values_list("pk", "subject_id").query.sql_with_params()
        return fetch(sql, params)()

    runs: dict[str, Callable[[], Any]] = {
        "tutela": tutela,
        "tutela orm": lambda: list(campaign_audience().values_list("pk", "subject_id")),
        "tutela count": lambda: campaign_audience().count(),
    }
    for name, (sql, params) in hand_written().items():
        runs[name] = fetch(sql, params)
        runs[f"{name} count"] = fetch(f"SELECT COUNT(*) FROM ({sql}) n", params)
    expected = normalised(runs["tutela"]())
    assert normalised(runs["tutela orm"]()) == expected
    for name in hand_written():
        assert normalised(runs[name]()) == expected, f"{name} returns another set"
    best = interleaved(rounds, runs)
    freeze, written = freeze_seconds(args.freeze_rounds)
    assert written == len(expected)
    return {
        "vendor": connection.vendor,
        "version": _pg_version() if connection.vendor == "postgresql" else sqlite_version,
        "audience": len(expected),
        "best": best,
        "shapes": list(hand_written()),
        "freeze_s": freeze,
    }


def run_all() -> dict[str, Any]:
    setup_database()
    try:
        built, counts = build(args.subscribers)
        result = measure(args.rounds)
        result.update({"build_s": built, "counts": counts})
        return result
    finally:
        teardown_database()


def report(result: dict[str, Any]) -> None:
    best = result["best"]
    baseline = min(result["shapes"], key=lambda name: best[name])
    ratio = best["tutela"] / best[baseline]
    counts = result["counts"]
    print(
        f"\n### {result['vendor']} {result['version']}: {counts['subscribers']:,} subscribers, "
        f"{counts['ledger']:,} ledger records, {counts['suppressed']:,} suppressed, "
        f"{counts['objection']:,} objecting, {counts['restriction']:,} restricted "
        f"(built in {result['build_s']:.0f} s)\n"
    )
    print("| measure | value | requirement |")
    print("| --- | ---: | --- |")
    print(f"| audience (same set from every query) | {result['audience']:,} | |")
    ok = "met" if best["tutela"] <= 3 else "NOT met"
    print(f"| **Tutela audience query, fetched** | **{best['tutela'] * 1000:,.0f} ms** | "
          f"at most 3 s on PostgreSQL ({ok}) |")  # fmt: skip
    print(f"| Tutela audience through the ORM (values_list), fetched | "
          f"{best['tutela orm'] * 1000:,.0f} ms | |")  # fmt: skip
    for name in result["shapes"]:
        mark = " (baseline)" if name == baseline else ""
        print(f"| hand-written SQL, {name}{mark}, fetched | {best[name] * 1000:,.0f} ms | |")
    ok = "met" if ratio <= 3 else "NOT met"
    print(f"| **Tutela / fastest hand-written** | **{ratio:.2f}x** | within 3x ({ok}) |")
    print(f"| Tutela COUNT(*) | {best['tutela count'] * 1000:,.0f} ms | |")
    for name in result["shapes"]:
        print(f"| hand-written COUNT(*), {name} | {best[name + ' count'] * 1000:,.0f} ms | |")
    print(f"| send-time freeze: INSERT ... SELECT of the delivery records | "
          f"{result['freeze_s'] * 1000:,.0f} ms | |")  # fmt: skip


def main() -> None:
    try:
        results = [] if args.postgres_only and not args.postgres else [run_all()]
        if args.postgres:
            print(json.dumps(results[0]))
            return
        if _pg_url.startswith(("postgres://", "postgresql://")):
            child = subprocess.run(  # noqa: S603  (our own script, our own arguments)
                [sys.executable, __file__, "--postgres", "--subscribers", str(args.subscribers),
                 "--rounds", str(args.rounds), "--freeze-rounds", str(args.freeze_rounds)],
                env={**os.environ, "DATABASE_URL": _pg_url},
                stdout=subprocess.PIPE, text=True, check=True,
            )  # fmt: skip
            results.append(json.loads(child.stdout.strip().splitlines()[-1]))
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
        for result in results:
            report(result)
    finally:
        shutil.rmtree(_work, ignore_errors=True)


if __name__ == "__main__":
    main()
