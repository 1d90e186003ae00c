"""manage.py visits_truncate [--dry-run]: apply the security-log retention rule, print counts."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tutela.audit.api import Actor
from tutela.visits.services import visits_truncate


class Command(BaseCommand):
    help = (
        "Truncate IP addresses in the security logs (visits, sign-in events) once the policy's "
        "first period has passed, and delete the rows after the last. Idempotent; run daily."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """--dry-run and --batch-size."""
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would change; change nothing"
        )
        parser.add_argument(
            "--batch-size", type=int, default=500, help="rows per transaction (default 500)"
        )

    def handle(self, *args: Any, dry_run: bool, batch_size: int, **options: Any) -> None:
        """Run the sweep as the system job `visits_truncate` and print what it did per store."""
        results = visits_truncate(
            actor=Actor.system("visits_truncate"), dry_run=dry_run, batch_size=max(1, batch_size)
        )
        verb = ("would truncate", "would delete") if dry_run else ("truncated", "deleted")
        for label, counts in results.items():
            self.stdout.write(
                f"{label}: {verb[0]} {counts.truncated} IP address(es), "
                f"{verb[1]} {counts.deleted} row(s)"
            )
