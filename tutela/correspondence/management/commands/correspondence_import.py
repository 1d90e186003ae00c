"""`manage.py correspondence_import PATH... [--mbox]`: import emails from .eml files or mboxes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tutela.audit.api import Actor
from tutela.correspondence.mail import RawMessage, read_eml, read_mbox
from tutela.correspondence.services import emails_import

JOB = "correspondence_import"


class Command(BaseCommand):
    help = (
        "Import emails from .eml files (or, with --mbox, mbox mailboxes), filing each under the "
        "customer who sent it (or, for mail from our own address, who received it). Messages "
        "matching no customer are kept for staff to file. Re-running imports nothing twice. "
        "Unusable messages are reported and skipped; the exit status is 1 if any was refused."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path, metavar="PATH")
        parser.add_argument(
            "--mbox", action="store_true", help="Each PATH is an mbox mailbox, not one message."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        paths: list[Path] = options["paths"]
        messages = self._messages(paths, mbox=options["mbox"])
        report = emails_import(messages=messages, actor=Actor.system(JOB))
        for label, reason in report.refused:
            # Reasons never quote the message, so this output holds no personal data.
            self.stderr.write(f"refused {label}: {reason}")
        summary = (
            f"Imported {report.imported} message(s): {report.filed} filed to customers, "
            f"{report.unmatched} unmatched (file them from the staff console); "
            f"{report.duplicates} already imported; {len(report.refused)} refused."
        )
        if report.refused:
            raise CommandError(summary, returncode=1)
        self.stdout.write(self.style.SUCCESS(summary))

    @staticmethod
    def _messages(paths: list[Path], *, mbox: bool) -> Iterator[RawMessage]:
        for path in paths:
            if mbox:
                yield from read_mbox(path)
            else:
                yield read_eml(path)
