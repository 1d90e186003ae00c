"""manage.py audit_seal: sign a checkpoint over the access log so far, print it as a signed note."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tutela.audit.actor import Actor
from tutela.audit.chain import ChainBroken
from tutela.audit.selectors import checkpoint_note
from tutela.audit.services import audit_seal
from tutela.audit.signing import SigningKeyError


class Command(BaseCommand):
    help = (
        "Sign a checkpoint (Ed25519 over the Merkle tree head of all events so far). "
        "Incremental and idempotent; prints the checkpoint as a signed note to publish."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            checkpoint = audit_seal(actor=Actor.system("audit_seal"))
        except ChainBroken as exc:
            raise CommandError(f"refusing to seal: {exc} (run manage.py audit_verify)") from exc
        except SigningKeyError as exc:
            raise CommandError(str(exc)) from exc
        if checkpoint is None:
            self.stdout.write("the access log is empty; nothing to seal")
            return
        self.stdout.write(checkpoint_note(checkpoint), ending="")
