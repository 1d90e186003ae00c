"""The two signed links of the newsletter: the double opt-in confirmation and the unsubscribe.

Both are HMAC-signed with the secret key (django.core.signing) under a salt of their own, so a
token made for one never opens the other, and neither carries a guessable id.

- Confirmation: expires after CONFIRM_MAX_AGE and works once: it names the moment the opt-in was
  asked for, which confirming clears and a new request replaces.
- Unsubscribe: one per recipient, never expires (a link in an old email must still work, as
  RFC 8058 and mailbox providers expect), and is idempotent by nature.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import UTC, datetime, timedelta

from django.core import signing

CONFIRM_SALT = "tutela.consent.confirm"
UNSUBSCRIBE_SALT = "tutela.consent.unsubscribe"
CONFIRM_MAX_AGE = timedelta(days=7)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def pending_tag(pending_since: datetime) -> str:
    """The opt-in request's moment in microseconds, as the confirmation token's nonce."""
    return format((pending_since - _EPOCH) // timedelta(microseconds=1), "x")


def confirm_token(subscriber_id: uuid.UUID, pending_since: datetime) -> str:
    """The token of the emailed double opt-in link."""
    return signing.dumps(
        {"s": subscriber_id.hex, "p": pending_tag(pending_since)}, salt=CONFIRM_SALT
    )


def confirm_token_open(token: str) -> tuple[uuid.UUID, str] | None:
    """(subscriber id, pending tag) of a genuine, unexpired token; None if forged or expired."""
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired included
        return None
    if not isinstance(data, dict) or not isinstance(data.get("p"), str):
        return None
    try:
        return uuid.UUID(hex=str(data.get("s"))), data["p"]
    except ValueError:
        return None


_unsubscribe_signer = signing.Signer(salt=UNSUBSCRIBE_SALT, sep=".")


def unsubscribe_token(subscriber_id: uuid.UUID) -> str:
    """The recipient's own unsubscribe token (the same in every email sent to them)."""
    raw = base64.urlsafe_b64encode(subscriber_id.bytes).rstrip(b"=").decode("ascii")
    return _unsubscribe_signer.sign(raw)


def unsubscribe_token_open(token: str) -> uuid.UUID | None:
    """The subscriber id of a genuine unsubscribe token; None otherwise."""
    try:
        raw = _unsubscribe_signer.unsign(token)
        return uuid.UUID(bytes=base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (signing.BadSignature, ValueError, binascii.Error):
        return None
