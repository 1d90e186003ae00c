"""What other apps (the staff console, the JSON API) may import from rights."""

from tutela.rights.clock import Clock, ClockError, ClockState
from tutela.rights.models import DataSubjectRequest, DsrEvent, ExportFile
from tutela.rights.selectors import Deadline, dsr_deadline
from tutela.rights.services import (
    PURPOSE,
    ExportUnavailable,
    dsr_complete,
    dsr_decide,
    dsr_extend,
    dsr_fulfil_access,
    dsr_open,
    dsr_pause,
    dsr_reminders_send,
    dsr_resume,
    dsr_verification_send,
    dsr_verify,
    export_collector,
)

__all__ = [
    "PURPOSE",
    "Clock",
    "ClockError",
    "ClockState",
    "DataSubjectRequest",
    "Deadline",
    "DsrEvent",
    "ExportFile",
    "ExportUnavailable",
    "dsr_complete",
    "dsr_deadline",
    "dsr_decide",
    "dsr_extend",
    "dsr_fulfil_access",
    "dsr_open",
    "dsr_pause",
    "dsr_reminders_send",
    "dsr_resume",
    "dsr_verification_send",
    "dsr_verify",
    "export_collector",
]
