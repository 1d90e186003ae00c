"""Reads of the access log."""

from __future__ import annotations

from tutela.audit.models import AccessEvent, AuditCheckpoint
from tutela.audit.signing import (
    checkpoint_body,
    load_signing_key,
    public_key_bytes,
    signed_note,
)


def access_events_for_subject(subject: str, *, limit: int = 100) -> list[AccessEvent]:
    """Who accessed one subject's data, when, why: newest first, for their account page."""
    return list(AccessEvent.objects.filter(subject=subject).order_by("-sequence")[:limit])


def access_events_for_actor(
    *, actor_kind: str, actor_id: int, limit: int = 100
) -> list[AccessEvent]:
    """What one staff member, customer or API client accessed, newest first (audit review)."""
    events = AccessEvent.objects.filter(actor_kind=actor_kind, actor_id=actor_id)
    return list(events.order_by("-sequence")[:limit])


def latest_checkpoint() -> AuditCheckpoint | None:
    """The most recent signed checkpoint, if the log was ever sealed."""
    return AuditCheckpoint.objects.order_by("-tree_size").first()


def checkpoint_note(checkpoint: AuditCheckpoint) -> str:
    """A checkpoint as a C2SP signed note, to publish where the database's owner cannot edit."""
    public = public_key_bytes(load_signing_key(create=False))
    root, last = bytes(checkpoint.root_hash), bytes(checkpoint.last_hash)
    body = checkpoint_body(
        checkpoint.origin, checkpoint.tree_size, root, last, checkpoint.sealed_at
    )
    return signed_note(body, checkpoint.origin, public, bytes(checkpoint.signature))
