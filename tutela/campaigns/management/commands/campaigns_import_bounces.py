"""manage.py campaigns_import_bounces FILE: suppress bounced and complaining addresses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tutela.audit.api import Actor
from tutela.campaigns.services import bounces_parse, bounces_suppress

MAX_BYTES = 20 * 1024 * 1024


class Command(BaseCommand):
    help = (
        "Import hard bounces and spam complaints from a CSV file of email,kind lines (kind: "
        "bounce or complaint; a header line is allowed) and put each address on the "
        "suppression list, so no campaign or subscription reaches it again. A file with any "
        "bad line is refused whole, each bad line named."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the CSV file, UTF-8 ('-' is not accepted)")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        if path.stat().st_size > MAX_BYTES:
            raise CommandError(f"{path}: larger than {MAX_BYTES // (1024 * 1024)} MiB; split it")
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path}: not UTF-8 (byte {exc.start}); save it as UTF-8") from None
        try:
            bounces = bounces_parse(text)
        except ValidationError as exc:
            raise CommandError(
                f"{path}: nothing imported:\n  " + "\n  ".join(exc.messages)
            ) from None
        added, known = bounces_suppress(bounces, actor=Actor.system("campaigns_import_bounces"))
        self.stdout.write(
            f"{len(bounces)} address(es) read: {added} added to the suppression list, "
            f"{known} already on it."
        )
