"""What other apps may import from audit: record accesses, read them back, seal and verify."""

from tutela.audit.actor import Actor, ActorKind
from tutela.audit.chain import ChainBroken, Problem
from tutela.audit.models import AccessEvent, AppendOnlyError, AuditCheckpoint
from tutela.audit.selectors import (
    access_events_for_actor,
    access_events_for_subject,
    checkpoint_note,
    latest_checkpoint,
)
from tutela.audit.services import AccessEntry, access_record, access_record_many, audit_seal
from tutela.audit.verify import VerifyReport, audit_verify

__all__ = [
    "AccessEntry",
    "AccessEvent",
    "Actor",
    "ActorKind",
    "AppendOnlyError",
    "AuditCheckpoint",
    "ChainBroken",
    "Problem",
    "VerifyReport",
    "access_events_for_actor",
    "access_events_for_subject",
    "access_record",
    "access_record_many",
    "audit_seal",
    "audit_verify",
    "checkpoint_note",
    "latest_checkpoint",
]
