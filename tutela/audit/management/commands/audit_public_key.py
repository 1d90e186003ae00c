"""manage.py audit_public_key: print the key that verifies access-log checkpoints."""

from __future__ import annotations

import base64
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tutela.audit.signing import (
    SigningKeyError,
    key_id,
    load_signing_key,
    note_verifier_key,
    public_key_bytes,
)


class Command(BaseCommand):
    help = (
        "Print the public key of the checkpoint signing key (created on first use), so anyone "
        "can verify published checkpoints without the private key."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            public = public_key_bytes(load_signing_key(create=True))
        except SigningKeyError as exc:
            raise CommandError(str(exc)) from exc
        pem = Ed25519PublicKey.from_public_bytes(public).public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.stdout.write(f"key id:        {key_id(public)}")
        self.stdout.write(f"base64:        {base64.b64encode(public).decode()}")
        self.stdout.write(
            f"verifier key:  {note_verifier_key(settings.TUTELA_AUDIT_ORIGIN, public)}"
        )
        self.stdout.write(pem.decode(), ending="")
