"""What other apps may import from accounts."""

from tutela.accounts.emails import email_registration_taken_notify
from tutela.accounts.models import SecurityEvent, User
from tutela.accounts.selectors import security_events_for_user
from tutela.accounts.services import security_event_record

__all__ = [
    "SecurityEvent",
    "User",
    "email_registration_taken_notify",
    "security_event_record",
    "security_events_for_user",
]
