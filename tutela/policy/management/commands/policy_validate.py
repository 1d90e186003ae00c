"""`manage.py policy_validate [FILE]`: validate a policy file; summarise it or list its errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tutela.policy.loader import PolicyFileError, display_name, load_policy


class Command(BaseCommand):
    help = "Validate the policy file (default: settings.TUTELA_POLICY_FILE) and summarise it."
    # Our own system check would stop a bad file before this command could explain it.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="policy file to validate")

    def handle(self, *args: Any, file: str | None = None, **options: Any) -> None:
        path = Path(file or settings.TUTELA_POLICY_FILE)
        try:
            policy = load_policy(path)
        except PolicyFileError as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{exc.file}: {len(exc.problems)} problem(s); not valid") from None
        counts = ", ".join(
            f"{len(items)} {name}"
            for name, items in (
                ("categories", policy.categories),
                ("purposes", policy.purposes),
                ("retention rules", policy.retention),
                ("processors", policy.processors),
                ("disclosure grounds", policy.disclosure_grounds),
                ("rights", policy.rights),
            )
        )
        self.stdout.write(
            self.style.SUCCESS(f"{display_name(path)} is valid: ")
            + f"{policy.controller.name}, version {policy.version}, effective "
            f"{policy.effective_date.isoformat()}; {counts}."
        )
