"""What other apps may import from correspondence."""

from tutela.correspondence.models import (
    BODY_MAX,
    NOTES_MAX,
    SUBJECT_LINE_MAX,
    CallRecord,
    CallRecording,
    Direction,
    EmailRecord,
)
from tutela.correspondence.scan import Finding, findings_for, redact
from tutela.correspondence.selectors import calls_with_recording_flag
from tutela.correspondence.services import (
    RECORDING_MAX_BYTES,
    call_record_create,
    email_file,
    email_record_create,
)

__all__ = [
    "BODY_MAX",
    "NOTES_MAX",
    "RECORDING_MAX_BYTES",
    "SUBJECT_LINE_MAX",
    "CallRecord",
    "CallRecording",
    "Direction",
    "EmailRecord",
    "Finding",
    "call_record_create",
    "calls_with_recording_flag",
    "email_file",
    "email_record_create",
    "findings_for",
    "redact",
]
