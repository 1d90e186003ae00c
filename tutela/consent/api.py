"""What other apps may import from consent: the ledger and its projection, the newsletter's
ways in and out, the message builder for campaigns, the suppression list, and the visitor's
cookie choice (a view that wants to set a non-essential cookie asks `cookie_choice_for(request)
.allows(group)` first; the middleware drops it otherwise)."""

from tutela.consent.cookies import CookieChoiceState, cookie_choice_for
from tutela.consent.emails import newsletter_message, unsubscribe_url
from tutela.consent.models import (
    Channel,
    ConsentRecord,
    CookieChoice,
    Subscriber,
    SuppressedAddress,
)
from tutela.consent.notices import (
    NEWSLETTER_CONSENT,
    NEWSLETTER_PURPOSE,
    NEWSLETTER_WITHDRAWAL,
    Notice,
    policy_version,
)
from tutela.consent.selectors import (
    ConsentState,
    Recipient,
    consent_history,
    consent_receipt,
    consent_state,
    consent_states,
    consented_subjects,
    is_suppressed,
    newsletter_recipient,
    subscriber_address,
    subscriber_for_email,
)
from tutela.consent.services import (
    Confirmation,
    OptIn,
    PhoneUnsubscribe,
    consent_record,
    consent_records_expire,
    cookie_choice_record,
    email_suppress,
    newsletter_confirm,
    newsletter_subscribe_request,
    newsletter_unsubscribe,
    newsletter_unsubscribe_by_phone,
)

__all__ = [
    "NEWSLETTER_CONSENT",
    "NEWSLETTER_PURPOSE",
    "NEWSLETTER_WITHDRAWAL",
    "Channel",
    "Confirmation",
    "ConsentRecord",
    "ConsentState",
    "CookieChoice",
    "CookieChoiceState",
    "Notice",
    "OptIn",
    "PhoneUnsubscribe",
    "Recipient",
    "Subscriber",
    "SuppressedAddress",
    "consent_history",
    "consent_receipt",
    "consent_record",
    "consent_records_expire",
    "consent_state",
    "consent_states",
    "consented_subjects",
    "cookie_choice_for",
    "cookie_choice_record",
    "email_suppress",
    "is_suppressed",
    "newsletter_confirm",
    "newsletter_message",
    "newsletter_recipient",
    "newsletter_subscribe_request",
    "newsletter_unsubscribe",
    "newsletter_unsubscribe_by_phone",
    "policy_version",
    "subscriber_address",
    "subscriber_for_email",
    "unsubscribe_url",
]
