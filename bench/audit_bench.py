"""Access-log benchmark: Tutela's audit log against raw SQL, raw SHA-256 and django-auditlog.

Run: .venv/bin/python bench/audit_bench.py [--events 200000] [--requests 300] [--rounds 5]
(the comparison library: .venv/bin/pip install -e ".[bench]")

Everything is measured side by side in one run, on a throwaway SQLite database (and, when
DATABASE_URL names PostgreSQL, also on a throwaway PostgreSQL test database):
1. bulk append: access_record_many (chaining and hashing included) against a raw executemany
   INSERT of the very same rows into an identical table, and against Django's bulk_create;
2. audit_verify (chain, Merkle roots, signatures) against raw hashlib.sha256 over the same
   canonical records, held in memory;
3. per-request overhead (Django test client, full middleware, ATOMIC_REQUESTS): a page that
   reads a customer-like row, with and without one access_record call; and a page that changes
   the row, plain, with access_record, and with django-auditlog logging the change;
4. cost per logged event in a loop: access_record against django-auditlog's LogEntry.
Times are CPU time of this process (the machine is shared), except the parallel verification,
timed on the wall clock against raw hashing also on the wall clock. Throughputs are the best of
several interleaved rounds; request times are medians of interleaved rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from hashlib import sha256
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--events", type=int, default=200_000, help="events for bulk and verify")
parser.add_argument("--requests", type=int, default=300, help="requests per variant per round")
parser.add_argument("--rounds", type=int, default=5)
parser.add_argument("--postgres", action="store_true", help=argparse.SUPPRESS)  # child run
args = parser.parse_args()

_work = tempfile.mkdtemp(prefix="tutela-audit-bench-")
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
        "DJANGO_SETTINGS_MODULE": "bench.audit_bench_settings",
    }
)
if not args.postgres:
    os.environ["DATABASE_URL"] = f"sqlite:///{_work}/bench.sqlite3"

try:
    import auditlog  # noqa: F401
except ImportError:
    sys.exit('comparison library missing: .venv/bin/pip install -e ".[bench]"')

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, models, transaction  # noqa: E402
from django.test import Client  # noqa: E402

from bench.audit_bench_site import AuditedCustomer, BenchCustomer  # noqa: E402
from tutela.audit import dbverify  # noqa: E402
from tutela.audit.api import (  # noqa: E402  # noqa: E402
    AccessEvent,
    Actor,
    access_record,
    access_record_many,
    audit_seal,
    audit_verify,
)
from tutela.audit.canonical import LEAF_PREFIX  # noqa: E402
from tutela.audit.chain import records  # noqa: E402

CATEGORIES = ["user.contact.email", "user.name"]
JOB = Actor.system("bench_export")
STAFF = Actor.staff(id=7, first_name="Sam", role="support")


# CPU time of this process: on a machine shared with other jobs it counts our work, not the
# time spent waiting for a core. Worker processes are not in it, so the parallel verification
# (and the raw hashing it is compared with) is timed on the wall clock instead.
clock = time.process_time


def best_rate(
    count: int, run: Callable[[], Any], rounds: int, timer: Callable[[], float] = clock
) -> float:
    """Items per second, best of `rounds` runs."""
    best = float("inf")
    for _ in range(rounds):
        started = timer()
        run()
        best = min(best, timer() - started)
    return count / best


def setup_database() -> None:
    if connection.vendor == "postgresql":
        connection.creation.create_test_db(
            verbosity=0, autoclobber=True, keepdb=False, serialize=False
        )
    else:
        call_command("migrate", verbosity=0)
    with connection.schema_editor() as editor:
        editor.create_model(BenchCustomer)
        editor.create_model(AuditedCustomer)
    clone_event_table()


def clone_event_table() -> None:
    """audit_bench_clone: the event table's columns and indexes, without its triggers."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("CREATE TABLE audit_bench_clone (LIKE audit_accessevent INCLUDING ALL)")
            return
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'audit_accessevent' "
            "AND type IN ('table', 'index') AND sql IS NOT NULL"
        )
        for (sql,) in cursor.fetchall():
            cursor.execute(
                sql.replace('"audit_accessevent"', '"audit_bench_clone"')
                .replace('"audit_event_subject"', '"clone_subject"')
                .replace('"audit_event_actor"', '"clone_actor"')
            )


class CloneEvent(models.Model):
    """An ordinary model on the clone table, to time Django's bulk_create on the same rows."""

    sequence = models.BigIntegerField(primary_key=True)
    subject = models.CharField(max_length=64)
    occurred_at = models.DateTimeField()
    actor_kind = models.CharField(max_length=16)
    actor_id = models.BigIntegerField(null=True)
    actor_label = models.CharField(max_length=120)
    actor_role = models.CharField(max_length=40)
    action = models.CharField(max_length=16)
    purpose = models.CharField(max_length=64)
    categories = models.CharField(max_length=500)
    request_id = models.CharField(max_length=64)
    ip = models.CharField(max_length=45)
    detail = models.CharField(max_length=200)
    prev_hash = models.BinaryField()
    hash = models.BinaryField()

    objects = models.Manager()

    class Meta:
        app_label = "audit_bench"
        db_table = "audit_bench_clone"
        managed = False

    def __str__(self) -> str:
        return f"#{self.sequence}"


COLUMNS = [f.column for f in CloneEvent._meta.concrete_fields]


SEAL_EVERY = 25_000  # a busy hour's worth of events between scheduled seals


def bench_bulk(n: int) -> dict[str, float]:
    """Append n events in jobs of SEAL_EVERY, sealing after each (seals are timed apart)."""
    subjects = [f"c-{i:08d}" for i in range(n)]
    appending = sealing = 0.0
    for start in range(0, n, SEAL_EVERY):
        started = clock()
        appended = access_record_many(
            actor=JOB, subjects=subjects[start : start + SEAL_EVERY], categories=CATEGORIES,
            purpose="dsr_access", action="export", detail="bench batch",
        )  # fmt: skip
        appending += clock() - started
        assert len(appended) == min(SEAL_EVERY, n - start)
        started = clock()
        assert audit_seal(actor=JOB) is not None
        sealing += clock() - started
    ours = n / appending
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(COLUMNS)} FROM audit_accessevent ORDER BY sequence")
        rows = [tuple(row) for row in cursor.fetchall()]
    insert = (
        f"INSERT INTO audit_bench_clone ({', '.join(COLUMNS)}) "
        f"VALUES ({', '.join(['%s'] * len(COLUMNS))})"
    )

    def raw_insert() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            for start in range(0, len(rows), 5_000):
                cursor.executemany(insert, rows[start : start + 5_000])

    started = clock()
    raw_insert()
    raw = n / (clock() - started)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_bench_clone")
    events = list(AccessEvent.objects.order_by("sequence").values_list(*COLUMNS))
    started = clock()
    with transaction.atomic():
        CloneEvent.objects.bulk_create(
            (CloneEvent(**dict(zip(COLUMNS, values, strict=True))) for values in events),
            batch_size=5_000,
        )
    bulk_create = n / (clock() - started)
    return {
        "append": ours,
        "raw_executemany": raw,
        "bulk_create": bulk_create,
        "seal_ms": sealing / -(-n // SEAL_EVERY) * 1000,
    }


def bench_verify(rounds: int) -> dict[str, float]:
    count = AccessEvent.objects.count()
    workers = os.cpu_count() or 1
    leaf_inputs = [LEAF_PREFIX + prev + record for _seq, record, prev, _hash in records(connection)]

    def hash_all() -> None:
        for item in leaf_inputs:
            sha256(item).digest()

    def verify(workers: int = 1) -> None:
        report = audit_verify(workers=workers)
        assert report.ok and report.events == count, report.problems

    def read_and_hash() -> None:
        # The least any verifier reading this table must do: fetch each record, hash it once.
        for _seq, record, prev, _hash in records(connection):
            sha256(LEAF_PREFIX + prev + record).digest()

    def python_walk() -> None:
        # The Python walk alone, as before the set-based pass existed (PostgreSQL only).
        supported = dbverify.supported
        dbverify.supported = lambda connection: False
        try:
            verify()
        finally:
            dbverify.supported = supported

    verify_rates, raw_rates, wall_parallel, wall_raw = [], [], [], []
    wall_single, wall_walk = [], []
    wall = time.perf_counter
    for _ in range(rounds):  # interleaved, so all see the same machine
        verify_rates.append(best_rate(count, verify, 1))
        raw_rates.append(best_rate(count, hash_all, 1))
        # On PostgreSQL the set-based pass runs in the server, whose CPU time is not this
        # process's: only the wall clock compares it fairly with hashing here.
        wall_single.append(best_rate(count, verify, 1, wall))
        if dbverify.supported(connection):
            wall_walk.append(best_rate(count, python_walk, 1, wall))
        wall_parallel.append(best_rate(count, lambda: verify(workers), 1, wall))
        wall_raw.append(best_rate(count, hash_all, 1, wall))
    return {
        "events": count,
        "workers": workers,
        "verify_wall": max(wall_single),
        "python_walk_wall": max(wall_walk, default=0.0),
        "verify": max(verify_rates),
        "verify_parallel_wall": max(wall_parallel),
        "raw_sha256_wall": max(wall_raw),
        "raw_sha256": max(raw_rates),
        "read_and_hash": best_rate(count, read_and_hash, 2),
        "record_bytes": statistics.mean(len(x) for x in leaf_inputs[:1000]),
    }


def bench_requests(requests: int, rounds: int) -> dict[str, float]:
    client = Client()
    for model in (BenchCustomer, AuditedCustomer):
        model.objects.bulk_create(
            model(
                full_name=f"Customer {i}", company_name="Analytical Engines Ltd",
                email=f"customer{i}@example.com", phone="+442079460000",
                address_line1="12 Marylebone Road", city="London", postcode="NW1 5LR",
            )
            for i in range(100)
        )  # fmt: skip
    variants = ["read/plain", "read/logged", "change/plain", "change/logged", "change/auditlog"]
    pages = Client()  # a signed-in staff member on a page with the site's layout
    pages.force_login(
        get_user_model().objects.create_user(
            email="sam@example.com", password=None, is_staff=True, display_name="Sam"
        )
    )
    clients = {variant: client for variant in variants}
    for variant in ("page/plain", "page/logged"):
        clients[variant] = pages
        variants.append(variant)
    times: dict[str, list[float]] = {v: [] for v in variants}
    for variant in variants:  # warm up
        response = clients[variant].get(f"/{variant}/1/")
        assert response.status_code == 200, (variant, response.status_code)
    # Request by request, every variant in turn (rotating who goes first), so a busy moment
    # on the machine hits all of them alike; the median of thousands of samples per variant.
    for i in range(requests * rounds):
        shift = i % len(variants)
        for variant in variants[shift:] + variants[:shift]:
            started = clock()
            clients[variant].get(f"/{variant}/{i % 100 + 1}/", {"n": i})
            times[variant].append(clock() - started)
    result = {f"{v}_us": statistics.median(t) * 1e6 for v, t in times.items()}
    result.update({f"{v}_mean_us": statistics.fmean(t) * 1e6 for v, t in times.items()})
    return result


def bench_loop(n: int, rounds: int) -> dict[str, float]:
    """Cost of one logged event in a loop, no request: access_record vs auditlog's LogEntry."""
    from auditlog.context import set_actor

    def ours() -> None:
        with transaction.atomic():
            for i in range(n):
                access_record(
                    actor=STAFF, subject=f"c-{i % 100}", categories=["user.contact.phone_number"],
                    purpose="customer_support", action="change", detail="loop",
                )  # fmt: skip

    def saves(model: type[BenchCustomer] | type[AuditedCustomer]) -> Callable[[], None]:
        def run() -> None:
            objects = list(model.objects.all()[:100])
            with transaction.atomic(), set_actor(None, remote_addr="203.0.113.9"):
                for i in range(n):
                    obj = objects[i % 100]
                    obj.phone = f"+4420794601{i % 100:02d}"
                    obj.save()

        return run

    plain = best_rate(n, saves(BenchCustomer), rounds)
    audited = best_rate(n, saves(AuditedCustomer), rounds)
    ours_rate = best_rate(n, ours, rounds)
    return {
        "access_record_us": 1e6 / ours_rate,
        "auditlog_extra_us": 1e6 / audited - 1e6 / plain,
        "save_us": 1e6 / plain,
    }


def run_all() -> dict[str, Any]:
    setup_database()
    try:
        results: dict[str, Any] = {"vendor": connection.vendor}
        results["bulk"] = bench_bulk(args.events)
        results["verify"] = bench_verify(args.rounds)
        if connection.vendor == "sqlite":
            results["requests"] = bench_requests(args.requests, args.rounds)
            results["loop"] = bench_loop(2_000, args.rounds)
        return results
    finally:
        if connection.vendor == "postgresql":
            connection.creation.destroy_test_db(
                connection.settings_dict["NAME"].removeprefix("test_"), verbosity=0
            )


def report(results: dict[str, Any]) -> None:
    vendor = results["vendor"]
    bulk, verify = results["bulk"], results["verify"]
    print(f"\n### {vendor} ({args.events:,} events)\n")
    print("| measure | Tutela | comparison | ratio |")
    print("| --- | ---: | ---: | ---: |")
    print(
        f"| bulk append, events/s | {bulk['append']:,.0f} | raw executemany "
        f"{bulk['raw_executemany']:,.0f} | {bulk['append'] / bulk['raw_executemany']:.2f} |"
    )
    print(
        f"| (same rows through bulk_create) | | bulk_create {bulk['bulk_create']:,.0f} | "
        f"{bulk['bulk_create'] / bulk['raw_executemany']:.2f} |"
    )
    print(
        f"| audit_verify (1 process), events/s | {verify['verify']:,.0f} | raw SHA-256 "
        f"{verify['raw_sha256']:,.0f} | {verify['verify'] / verify['raw_sha256']:.2f} |"
    )
    print(
        f"| audit_verify (1 process, wall clock), events/s | {verify['verify_wall']:,.0f} | "
        f"raw SHA-256 (wall clock) {verify['raw_sha256_wall']:,.0f} | "
        f"{verify['verify_wall'] / verify['raw_sha256_wall']:.2f} |"
    )
    if verify["python_walk_wall"]:
        print(
            f"| (Python walk only, no set-based pass: 1 process, wall clock) | "
            f"{verify['python_walk_wall']:,.0f} | raw SHA-256 (wall clock) "
            f"{verify['raw_sha256_wall']:,.0f} | "
            f"{verify['python_walk_wall'] / verify['raw_sha256_wall']:.2f} |"
        )
    print(
        f"| audit_verify ({verify['workers']} processes, wall clock), events/s | "
        f"{verify['verify_parallel_wall']:,.0f} | raw SHA-256 (wall clock) "
        f"{verify['raw_sha256_wall']:,.0f} | "
        f"{verify['verify_parallel_wall'] / verify['raw_sha256_wall']:.2f} |"
    )
    print(
        f"| (1 process, against: read each record from the table and hash it once) | | "
        f"{verify['read_and_hash']:,.0f} | {verify['verify'] / verify['read_and_hash']:.2f} |"
    )
    print(
        f"\nincremental seal of {SEAL_EVERY:,} new events: {bulk['seal_ms']:.0f} ms; "
        f"mean leaf input {verify['record_bytes']:.0f} bytes"
    )
    if "requests" in results:
        r, loop = results["requests"], results["loop"]
        read_over = r["read/logged_us"] / r["read/plain_us"] - 1
        ours_change = r["change/logged_us"] / r["change/plain_us"] - 1
        theirs_change = r["change/auditlog_us"] / r["change/plain_us"] - 1
        mean_over = r["read/logged_mean_us"] / r["read/plain_mean_us"] - 1
        page_mean_over = r["page/logged_mean_us"] / r["page/plain_mean_us"] - 1
        print("\n| request (median µs) | plain | Tutela access_record | django-auditlog |")
        print("| --- | ---: | ---: | ---: |")
        page_over = r["page/logged_us"] / r["page/plain_us"] - 1
        print(f"| read a customer row (bare view) | {r['read/plain_us']:.0f} | "
              f"{r['read/logged_us']:.0f} (+{read_over:.1%}) | (logs no reads) |")  # fmt: skip
        print(f"| staff page: signed in, site layout | {r['page/plain_us']:.0f} | "
              f"{r['page/logged_us']:.0f} (+{page_over:.1%}) | (logs no reads) |")  # fmt: skip
        print(f"| change a customer row | {r['change/plain_us']:.0f} | "
              f"{r['change/logged_us']:.0f} (+{ours_change:.1%}) | "
              f"{r['change/auditlog_us']:.0f} (+{theirs_change:.1%}) |")  # fmt: skip
        print(
            f"\nmeans instead of medians (they include SQLite's occasional WAL checkpoint, which "
            f"only writing requests trigger): bare view +{mean_over:.1%}, staff page "
            f"+{page_mean_over:.1%}"
        )
        print(
            f"\nper logged event in a loop: access_record {loop['access_record_us']:.0f} µs, "
            f"django-auditlog LogEntry {loop['auditlog_extra_us']:.0f} µs on top of a "
            f"{loop['save_us']:.0f} µs save (ratio "
            f"{loop['access_record_us'] / loop['auditlog_extra_us']:.2f})"
        )


def main() -> None:
    results = [run_all()]
    if _pg_url.startswith(("postgres://", "postgresql://")) and not args.postgres:
        child = subprocess.run(  # noqa: S603  (our own script, our own arguments)
            [sys.executable, __file__, "--postgres", "--events", str(args.events),
             "--rounds", str(args.rounds)],
            env={**os.environ, "DATABASE_URL": _pg_url},
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        results.append(json.loads(child.stdout.strip().splitlines()[-1]))
    if args.postgres:
        print(json.dumps(results[0]))
        return
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    for result in results:
        report(result)


if __name__ == "__main__":
    main()
