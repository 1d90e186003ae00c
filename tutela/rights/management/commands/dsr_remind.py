"""manage.py dsr_remind: email the privacy officers the rights requests overdue or due soon."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tutela.audit.api import Actor
from tutela.rights.services import dsr_reminders_send, export_files_purge


class Command(BaseCommand):
    help = (
        "Email the privacy officers the open rights requests that are overdue or due within 7 "
        "days (at most once a day per request), and delete exports whose link has expired. "
        "Run daily (docs/operations.md)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        reminded = dsr_reminders_send(actor=Actor.system("dsr_remind"))
        purged = export_files_purge()
        if reminded:
            references = ", ".join(dsr.reference for dsr in reminded)
            self.stdout.write(f"reminded the privacy officers of {len(reminded)}: {references}")
        else:
            self.stdout.write("nothing to remind today")
        if purged:
            self.stdout.write(f"deleted {purged} expired export(s)")
