"""Staff reads of mail subscriptions, each access-logged (R7); see selectors.py for the rules."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from tutela.consent.api import (
    NEWSLETTER_PURPOSE,
    ConsentState,
    consent_state,
    is_suppressed,
    subscriber_for_email,
)
from tutela.staff.roles import VIEW_SUBSCRIPTIONS
from tutela.staff.selectors import StaffMember, _require, record_read


@dataclass(frozen=True)
class CallerSubscription:
    """What support may tell a caller about an address: no name, no history, just the state."""

    email: str
    has_account: bool
    subject_id: uuid.UUID | None
    state: ConsentState | None
    pending_since: datetime | None
    suppressed: bool

    @property
    def found(self) -> bool:
        """The address belongs to a customer or a newsletter subscriber."""
        return self.subject_id is not None


def subscription_for_staff(actor: StaffMember, email: str) -> CallerSubscription:
    """The newsletter state of one address (a customer's sign-in address or a visitor's), for
    support taking a call; the read is logged against the subject it belongs to."""
    _require(actor, VIEW_SUBSCRIPTIONS)
    customer, subscriber = subscriber_for_email(email)
    subject = customer.subject_id if customer is not None else None
    if subscriber is not None:
        subject = subscriber.subject_id
    state = consent_state(subject, NEWSLETTER_PURPOSE) if subject is not None else None
    if subject is not None:
        record_read(
            actor,
            [subject],
            "mail subscription",
            categories=("contact_email", "privacy_choices"),
            purpose=NEWSLETTER_PURPOSE,
        )
    return CallerSubscription(
        email=email,
        has_account=customer is not None,
        subject_id=subject,
        state=state,
        pending_since=None if subscriber is None else subscriber.pending_since,
        suppressed=is_suppressed(email),
    )
