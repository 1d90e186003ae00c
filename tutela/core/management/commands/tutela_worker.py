"""manage.py tutela_worker: run background tasks and enqueue the periodic jobs (replaces cron)."""

from __future__ import annotations

from argparse import ArgumentTypeError
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tutela.core.worker import worker_run


def _interval(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ArgumentTypeError(f"{raw!r} is not a number of seconds") from None
    if not 0.1 <= value <= 60:
        raise ArgumentTypeError(f"{raw!r}: give between 0.1 and 60 seconds")
    return value


class Command(BaseCommand):
    help = (
        "Run the background worker: enqueue the periodic jobs when due (sealing the access log, "
        "retention sweeps, reminders) and run the tasks of the database task backend. Runs "
        "until SIGTERM or Ctrl-C (a running task finishes first); several may run at once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """--once, --interval, --queue-name, --worker-id."""
        parser.add_argument(
            "--once",
            action="store_true",
            help="one pass: enqueue the due jobs, run every ready task, then exit",
        )
        parser.add_argument(
            "--interval",
            type=_interval,
            default=1.0,
            help="seconds to wait when idle before looking again (default 1)",
        )
        parser.add_argument(
            "--queue-name",
            default="default",
            help="queues to run, comma-separated; '*' for all (default: default)",
        )
        parser.add_argument(
            "--worker-id", default=None, help="a name unique among the workers (default: random)"
        )

    def handle(
        self, *args: Any, once: bool, interval: float, queue_name: str, worker_id: str | None,
        **options: Any,
    ) -> None:  # fmt: skip
        """Run the worker loop (or one pass)."""
        queues = [name.strip() for name in queue_name.split(",") if name.strip()]
        worker_run(
            once=once,
            interval=interval,
            queue_names=queues or ["default"],
            worker_id=worker_id,
            handle_signals=not once,
        )
