"""The Ed25519 key that signs checkpoints, and the checkpoint text it signs (docs/audit.md).

The checkpoint text follows the C2SP tlog-checkpoint format used by Go's checksum database and
other transparency logs (origin, tree size, base64 root hash, then extension lines), and the
published form is a C2SP signed note, so existing tools can check our checkpoints.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import stat
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

from tutela.audit.canonical import canonical_time

_NOTE_ALG_ED25519 = b"\x01"  # C2SP signed-note signature type for Ed25519


class SigningKeyError(Exception):
    """The checkpoint signing key is missing, unreadable, not Ed25519, or too widely readable."""


def key_path() -> Path:
    """Where the signing key lives (TUTELA_AUDIT_SIGNING_KEY_FILE)."""
    return Path(settings.TUTELA_AUDIT_SIGNING_KEY_FILE)


def check_key_file(path: Path) -> None:
    """Refuse a key file that group or others may read or write: a leaked key forges the log."""
    mode = path.stat().st_mode
    if not stat.S_ISREG(mode):
        raise SigningKeyError(f"{path}: not a regular file")
    if mode & 0o077:
        raise SigningKeyError(
            f"{path}: permissions {stat.filemode(mode)} let others read the audit signing key; "
            f"run: chmod 600 {path}"
        )


def load_signing_key(*, create: bool) -> Ed25519PrivateKey:
    """The signing key; with create=True a new one is written (mode 0600) if there is none."""
    path = key_path()
    if not path.exists():
        if not create:
            raise SigningKeyError(f"{path}: no audit signing key (run manage.py audit_seal)")
        return _create_key(path)
    check_key_file(path)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise SigningKeyError(f"{path}: cannot read the audit signing key ({exc})") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path}: not an Ed25519 private key")
    return key


def _create_key(path: Path) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: two processes sealing for the first time must not overwrite each other's key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return load_signing_key(create=False)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return key


def public_key_bytes(key: Ed25519PrivateKey) -> bytes:
    """The raw 32-byte Ed25519 public key."""
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key: bytes) -> str:
    """The key id stored with each checkpoint: SHA-256 of the raw public key, in hex."""
    return hashlib.sha256(public_key).hexdigest()


def checkpoint_body(
    origin: str, tree_size: int, root: bytes, last_hash: bytes, sealed_at: datetime
) -> str:
    """The text a checkpoint's signature covers (UTF-8 encoded; every line ends in \\n)."""
    return (
        f"{origin}\n{tree_size}\n{base64.b64encode(root).decode()}\n"
        f"time {canonical_time(sealed_at)}\n"
        f"last {base64.b64encode(last_hash).decode()}\n"
    )


def verify_signature(public_key: bytes, body: str, signature: bytes) -> bool:
    """True when `signature` is the Ed25519 signature of `body` by `public_key`."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(bytes(signature), body.encode())
    except (InvalidSignature, ValueError):
        return False
    return True


def note_key_hash(name: str, public_key: bytes) -> bytes:
    """The 4-byte key hash of a C2SP signed note: SHA-256(name || LF || 0x01 || key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + _NOTE_ALG_ED25519 + public_key).digest()[:4]


def note_verifier_key(name: str, public_key: bytes) -> str:
    """The public key as a C2SP note verifier key: name+hash+base64(0x01 || key)."""
    encoded = base64.b64encode(_NOTE_ALG_ED25519 + public_key).decode()
    return f"{name}+{note_key_hash(name, public_key).hex()}+{encoded}"


def signed_note(body: str, name: str, public_key: bytes, signature: bytes) -> str:
    """A checkpoint as a C2SP signed note, ready to publish."""
    blob = base64.b64encode(note_key_hash(name, public_key) + bytes(signature)).decode()
    return f"{body}\n\u2014 {name} {blob}\n"


def parse_public_key(text: str) -> bytes:
    """A public key given as base64 raw bytes, a C2SP verifier key, or PEM (for audit_verify)."""
    text = text.strip()
    parts = text.split("+", 2)  # the name has no '+'; the base64 key may
    if len(parts) == 3 and re.fullmatch(r"[0-9a-f]{8}", parts[1]):
        try:
            raw = base64.b64decode(parts[2], validate=True)
        except ValueError:
            raw = b""
        if len(raw) == 33 and raw[:1] == _NOTE_ALG_ED25519:
            return raw[1:]
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode())
            if not isinstance(key, Ed25519PublicKey):
                raise ValueError("not an Ed25519 key")
            return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        raw = base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise SigningKeyError(f"cannot read public key {text[:40]!r}: {exc}") from exc
    if len(raw) != 32:
        raise SigningKeyError(f"public key {text[:40]!r}: expected 32 bytes, got {len(raw)}")
    return raw
