"""manage.py keys_rotate: new master key, every data key re-wrapped; encrypted data untouched."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tutela.crypto.services import master_key_rotate


class Command(BaseCommand):
    help = (
        "Add a master key and re-wrap every data key with it (the encrypted data is not touched). "
        "--resume finishes an interrupted rotation and retires old master keys that nothing uses."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--resume",
            action="store_true",
            help="do not add a key: finish re-wrapping onto the current one, retire unused keys",
        )
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument(
            "--actor", default="operator (manage.py keys_rotate)", help="who rotates, for logs"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = master_key_rotate(
            actor_label=options["actor"],
            resume=options["resume"],
            batch_size=options["batch_size"],
        )
        verb = "added" if result.added else "kept"
        self.stdout.write(f"current master key: {result.master_key_id} ({verb})")
        self.stdout.write(f"data keys re-wrapped: {result.rewrapped}")
        for key_id in result.retired:
            self.stdout.write(f"retired master key: {key_id}")
        for key_id, why in result.kept.items():
            self.stdout.write(f"kept master key {key_id}: {why}")
        self.stdout.write(self.style.SUCCESS("done; back up the key file now (docs/operations.md)"))
