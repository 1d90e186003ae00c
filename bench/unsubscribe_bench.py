"""One-click unsubscribe benchmark: RFC 8058 POSTs to gunicorn on loopback, requests per second.

Run: .venv/bin/python bench/unsubscribe_bench.py [--subscribers 4000] [--workers 2]
                                                 [--clients 8] [--gunicorn-threads 1]
With DATABASE_URL naming PostgreSQL the server uses a throwaway PostgreSQL test database
(test_<name>); otherwise a throwaway SQLite file. Issue 6 asks for at least 500 requests/s on 2
cores.

The script builds N newsletter subscribers without an account (their addresses encrypted under
their own keys, as the consent app stores them) with consent given, starts gunicorn
(`config.wsgi`, production settings: debug off, every middleware) on 127.0.0.1, and sends each
subscriber's one-click POST (`List-Unsubscribe=One-Click`, no cookie, no CSRF token, a new
connection per request, as a mail provider sends it) from `--clients` load processes:
1. first POST per subscriber: the real unsubscribe (ledger insert, the address deleted);
2. the same POSTs again: the idempotent answer (nothing left to withdraw).
Every response must be 200. The load processes run on the same 2 cores as the server, so the
figures are a floor for a server with cores of its own.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--subscribers", type=int, default=4_000)
parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
parser.add_argument("--gunicorn-threads", type=int, default=1, help="threads per worker")
parser.add_argument("--clients", type=int, default=8, help="load-generating processes")
parser.add_argument(
    "--conn-max-age",
    type=int,
    default=60,
    help="TUTELA_DB_CONN_MAX_AGE of the server (0: a "
    "new database connection per request, the default; production should keep them)",
)
args = parser.parse_args()

_work = tempfile.mkdtemp(prefix="tutela-unsubscribe-bench-")
_pg_url = os.environ.get("DATABASE_URL", "")
ENV = {
    "TUTELA_SECRET_KEY": "bench-only-secret-key-" + "b" * 40,
    "TUTELA_DEBUG": "0",
    "TUTELA_SSL_REDIRECT": "0",
    "TUTELA_ALLOWED_HOSTS": "127.0.0.1",
    "CACHE_URL": "locmem://",
    "TUTELA_VAR_DIR": _work,
    "TUTELA_AUDIT_SIGNING_KEY_FILE": f"{_work}/audit-signing-key.pem",
    "TUTELA_KEY_FILE": f"{_work}/keys/master-keys.json",
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "TUTELA_DB_CONN_MAX_AGE": str(args.conn_max_age),
}
os.environ.update(ENV)
os.environ.pop("TUTELA_KEYSTORE_DATABASE_URL", None)
if not _pg_url.startswith(("postgres://", "postgresql://")):
    os.environ["DATABASE_URL"] = f"sqlite:///{_work}/bench.sqlite3"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from tutela.consent.api import (  # noqa: E402
    NEWSLETTER_CONSENT,
    NEWSLETTER_PURPOSE,
    Channel,
    ConsentRecord,
    Subscriber,
)
from tutela.consent.tokens import unsubscribe_token  # noqa: E402
from tutela.crypto import keystore  # noqa: E402
from tutela.crypto.api import KeyClass  # noqa: E402

BODY = b"List-Unsubscribe=One-Click"


def setup_database() -> str:
    """Migrate a throwaway database; returns the DATABASE_URL the server must use."""
    if connection.vendor == "postgresql":
        connection.creation.create_test_db(
            verbosity=0, autoclobber=True, keepdb=False, serialize=False
        )
        base, _, _ = _pg_url.rpartition("/")
        return f"{base}/{connection.settings_dict['NAME']}"
    call_command("migrate", verbosity=0)
    return os.environ["DATABASE_URL"]


def teardown_database() -> None:
    if connection.vendor == "postgresql":
        connection.close()
        connection.creation.destroy_test_db(
            connection.settings_dict["NAME"].removeprefix("test_"), verbosity=0
        )


def build(n: int) -> list[str]:
    """n consented visitor subscribers; returns their unsubscribe paths."""
    subjects = [uuid.uuid4() for _ in range(n)]
    for subject in subjects:
        keystore.key_for_writing(str(subject), KeyClass.MARKETING)
    with transaction.atomic():
        subscribers = Subscriber.objects.bulk_create(
            Subscriber(subject_id=subject, email=f"reader{i}@example.com")
            for i, subject in enumerate(subjects)
        )
        ConsentRecord.objects.bulk_create(
            ConsentRecord(
                pii_principal_id=subject,
                purpose=NEWSLETTER_PURPOSE,
                event_type=ConsentRecord.EventType.GIVEN,
                collection_method=Channel.WEB_FORM,
                notice_version="1.0",
                notice_sha256=NEWSLETTER_CONSENT.sha256,
                event_by="data subject",
                evidence="bench",
            )
            for subject in subjects
        )
    return [f"/consent/unsubscribe/{unsubscribe_token(s.pk)}/" for s in subscribers]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(database_url: str, port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(  # noqa: S603  (our own venv's gunicorn, our own arguments)
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
         "--threads", str(args.gunicorn_threads), "--log-level", "warning",
         "--backlog", "2048"],
        cwd=ROOT, env={**os.environ, **ENV, "DATABASE_URL": database_url},
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            status = post(port, "/consent/unsubscribe/not-a-token/")
        except OSError:
            time.sleep(0.2)
            continue
        if status == 404:
            return server
        raise SystemExit(f"the server answered {status} to a forged token, not 404")
    server.terminate()
    raise SystemExit("gunicorn did not start within 60 s")


def post(port: int, path: str) -> int:
    """One RFC 8058 POST on a new connection, as a mail provider sends it; the status code."""
    request = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(BODY)}\r\n\r\n"
    ).encode() + BODY
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head = b"".join(chunks)[:12]
    return int(head[9:12])


def client(job: tuple[int, list[str]]) -> list[int]:
    port, paths = job
    return [post(port, path) for path in paths]


def load(port: int, paths: list[str]) -> tuple[float, dict[int, int]]:
    """All paths POSTed once, spread over the client processes; (requests/s, {status: n})."""
    jobs = [(port, paths[i :: args.clients]) for i in range(args.clients)]
    with multiprocessing.get_context("fork").Pool(args.clients) as pool:
        started = time.perf_counter()
        results = pool.map(client, jobs)
        elapsed = time.perf_counter() - started
    statuses: dict[int, int] = {}
    for codes in results:
        for code in codes:
            statuses[code] = statuses.get(code, 0) + 1
    return len(paths) / elapsed, statuses


def main() -> None:
    server = None
    try:
        database_url = setup_database()
        paths = build(args.subscribers)
        connection.close()  # the server's processes own the database from here
        port = free_port()
        server = start_server(database_url, port)
        first, first_codes = load(port, paths)
        again, again_codes = load(port, paths)
        withdrawn = ConsentRecord.objects.filter(
            event_type=ConsentRecord.EventType.WITHDRAWN
        ).count()
        report(first, first_codes, again, again_codes, withdrawn)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        teardown_database()
        shutil.rmtree(_work, ignore_errors=True)


def report(
    first: float, first_codes: dict[int, int], again: float, again_codes: dict[int, int],
    withdrawn: int,
) -> None:  # fmt: skip
    vendor: Any = connection.vendor
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {vendor}, gunicorn "
          f"{args.workers} worker(s) x {args.gunicorn_threads} thread(s), "
          f"{args.clients} load processes, {args.subscribers:,} subscribers, "
          f"TUTELA_DB_CONN_MAX_AGE={args.conn_max_age}\n")  # fmt: skip
    print("| measure | value | requirement |")
    print("| --- | ---: | --- |")
    ok = "met" if first >= 500 else "NOT met"
    print(f"| **one-click unsubscribe, first POST per subscriber** | **{first:,.0f} req/s** | "
          f"at least 500 ({ok}) |")  # fmt: skip
    print(f"| the same POSTs again (already unsubscribed) | {again:,.0f} req/s | |")
    print(f"| responses | first {first_codes}, again {again_codes} | all 200 |")
    print(f"| withdrawals recorded in the ledger | {withdrawn:,} | {args.subscribers:,} |")


if __name__ == "__main__":
    main()
