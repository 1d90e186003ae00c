"""Writes for rights requests (see lifecycle.py for the status and clock rules)."""

from tutela.rights.services.access import (
    dsr_fulfil_access,
    export_collector,
    export_files_purge,
)
from tutela.rights.services.base import (
    ACCESS_KINDS,
    EXPORT_LIFETIME,
    FEE_MAX_PENCE,
    PRIVACY_OFFICER_GROUP,
    PURPOSE,
    REPEAT_LIMIT,
    REPEAT_WINDOW,
    REQUESTER_LABEL,
    VERIFY_LINK_MAX_AGE,
    Collect,
    Export,
    ExportUnavailable,
    period_days_for,
)
from tutela.rights.services.lifecycle import (
    dsr_complete,
    dsr_decide,
    dsr_extend,
    dsr_open,
    dsr_pause,
    dsr_resume,
    dsr_verification_send,
    dsr_verify,
)
from tutela.rights.services.reminders import dsr_reminders_send

__all__ = [
    "ACCESS_KINDS",
    "EXPORT_LIFETIME",
    "FEE_MAX_PENCE",
    "PRIVACY_OFFICER_GROUP",
    "PURPOSE",
    "REPEAT_LIMIT",
    "REPEAT_WINDOW",
    "REQUESTER_LABEL",
    "VERIFY_LINK_MAX_AGE",
    "Collect",
    "Export",
    "ExportUnavailable",
    "dsr_complete",
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
    "export_files_purge",
    "period_days_for",
]
