"""Reads for consent: the current state is a projection of the ledger, computed here and never
stored (R20, R21, R25)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Exists, Max, OuterRef, QuerySet
from django.utils import timezone

from tutela.consent.models import SUPPRESSION_INDEX, ConsentRecord, Subscriber, SuppressedAddress
from tutela.consent.notices import NEWSLETTER_PURPOSE
from tutela.crypto.api import blind_index, is_erased
from tutela.customers.api import Customer, customer_for_email
from tutela.policy.api import current_policy

RECEIPT_SCHEMA = "tutela.consent-receipt/1"


@dataclass(frozen=True)
class ConsentState:
    """Where one subject stands on one purpose: the latest ledger record, if any."""

    subject: uuid.UUID
    purpose: str
    record: ConsentRecord | None

    @property
    def given(self) -> bool:
        """Consent is in force: the latest record gives it."""
        return self.record is not None and self.record.is_given

    @property
    def since(self) -> datetime | None:
        """When the current state began (None if the subject never decided)."""
        return None if self.record is None else self.record.event_time


def consent_state(subject: uuid.UUID | str, purpose: str) -> ConsentState:
    """The subject's current state for one purpose, from the latest record (one query)."""
    subject = _uuid(subject)
    record = (
        ConsentRecord.objects.filter(pii_principal_id=subject, purpose=purpose)
        .order_by("-id")
        .first()
    )
    return ConsentState(subject=subject, purpose=purpose, record=record)


def consent_states(
    subjects: Iterable[uuid.UUID | str], purpose: str
) -> dict[uuid.UUID, ConsentState]:
    """The current state of many subjects for one purpose, in one query; every subject asked
    about is in the result (with record None if they never decided)."""
    wanted = list(dict.fromkeys(_uuid(subject) for subject in subjects))
    latest = (
        ConsentRecord.objects.filter(pii_principal_id__in=wanted, purpose=purpose)
        .values("pii_principal_id")
        .annotate(last=Max("id"))
        .values("last")
    )
    found = {r.pii_principal_id: r for r in ConsentRecord.objects.filter(id__in=latest)}
    return {s: ConsentState(subject=s, purpose=purpose, record=found.get(s)) for s in wanted}


def consented_subjects(purpose: str) -> QuerySet[ConsentRecord, uuid.UUID]:
    """Subjects whose consent to `purpose` is in force now, as an unevaluated queryset of
    `pii_principal_id` values: a given record with no later record for the same subject and
    purpose. Campaign audiences start from it at send time (R25)."""
    later = ConsentRecord.objects.filter(
        pii_principal_id=OuterRef("pii_principal_id"), purpose=purpose, id__gt=OuterRef("id")
    )
    return (
        ConsentRecord.objects.filter(purpose=purpose, event_type=ConsentRecord.EventType.GIVEN)
        .filter(~Exists(later))
        .values_list("pii_principal_id", flat=True)
    )


def consent_history(subject: uuid.UUID | str) -> list[ConsentRecord]:
    """Every consent event of a subject, oldest first."""
    return list(ConsentRecord.objects.filter(pii_principal_id=_uuid(subject)).order_by("id"))


def _uuid(value: uuid.UUID | str) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


# --- Suppression list ---------------------------------------------------------------------------


def suppression_hash(email: str) -> str:
    """The suppression list's keyed one-way hash of an address (case and spaces ignored)."""
    return blind_index(SUPPRESSION_INDEX, email)


def is_suppressed(email: str) -> bool:
    """Whether an address is on the suppression list (never mailed, never subscribed again)."""
    if not email or not email.strip():
        return False
    return SuppressedAddress.objects.filter(email_hash=suppression_hash(email)).exists()


# --- Newsletter subscribers ---------------------------------------------------------------------


def subscriber_for_customer(customer: Customer) -> Subscriber | None:
    """The customer's own subscriber row, if they ever asked for the newsletter."""
    return Subscriber.objects.filter(customer=customer).first()


def subscriber_for_email(email: str) -> tuple[Customer | None, Subscriber | None]:
    """Who an address belongs to for the newsletter: the customer who signs in with it (and
    their subscriber row, if any), else a visitor subscriber found by blind index."""
    customer = customer_for_email(email)
    if customer is not None:
        return customer, subscriber_for_customer(customer)
    return None, Subscriber.objects.filter(email=email).first()


def subscriber_address(subscriber: Subscriber) -> str:
    """Where the newsletter goes: the customer's sign-in address, or the visitor's own ("" if
    none: withdrawn, or erased)."""
    if subscriber.customer_id is not None:
        email = subscriber.customer.user.email  # type: ignore[union-attr]
    else:
        email = subscriber.email
    return "" if email is None or is_erased(email) else str(email)


@dataclass(frozen=True)
class Subscription:
    """A customer's newsletter subscription as their account page shows it."""

    state: ConsentState
    pending_since: datetime | None
    suppressed: bool


def subscription_for_customer(customer: Customer) -> Subscription:
    """The customer's newsletter state, pending double opt-in and suppression."""
    subscriber = subscriber_for_customer(customer)
    return Subscription(
        state=consent_state(customer.subject_id, NEWSLETTER_PURPOSE),
        pending_since=None if subscriber is None else subscriber.pending_since,
        suppressed=is_suppressed(str(customer.user.email)),
    )


@dataclass(frozen=True)
class Recipient:
    """One person a newsletter email may go to now: consent in force, address not suppressed."""

    subscriber_id: uuid.UUID
    subject_id: uuid.UUID
    email: str


def newsletter_recipient(subscriber: Subscriber) -> Recipient | None:
    """The subscriber as a recipient if they may be mailed now, else None (R25).

    Checks consent and the suppression list at the moment of asking; a campaign computes its
    audience in bulk the same way (consented_subjects) and builds each message with
    emails.newsletter_message.
    """
    email = subscriber_address(subscriber)
    if not email or is_suppressed(email):
        return None
    if not consent_state(subscriber.subject_id, NEWSLETTER_PURPOSE).given:
        return None
    return Recipient(subscriber_id=subscriber.pk, subject_id=subscriber.subject_id, email=email)


# --- Receipt ------------------------------------------------------------------------------------


def consent_receipt(subject: uuid.UUID | str) -> dict[str, Any]:
    """The subject's consent receipt: every record and the current state per purpose, in the
    field names of ISO/IEC TS 27560 (see models.ConsentRecord), as a JSON-ready dict."""
    policy = current_policy()
    records = consent_history(subject)
    purposes = {purpose.key: purpose for purpose in policy.purposes}
    controller = policy.controller
    address = controller.registered_address
    latest: dict[str, ConsentRecord] = {}
    for record in records:
        latest[record.purpose] = record

    def purpose_block(key: str) -> dict[str, Any]:
        purpose = purposes.get(key)
        return {
            "id": key,
            "label": purpose.label if purpose else key,
            "description": purpose.policy_text if purpose else "",
            "lawful_basis": str(purpose.lawful_basis.value) if purpose else "consent",
            "how_to_withdraw": list(purpose.how_to_withdraw) if purpose else [],
        }

    return {
        "schema_version": RECEIPT_SCHEMA,
        "issued_at": timezone.now().isoformat(),
        "language": "en-GB",
        "pii_principal_id": str(_uuid(subject)),
        "pii_controller": {
            "name": controller.name,
            "company_number": controller.company_number,
            "address": f"{address.street}, {address.city} {address.postcode}",
            "contact": str(policy.contacts.email),
        },
        "privacy_notice": {"url": str(policy.published_url), "version_in_force": policy.version},
        "current_state": [
            {
                "purpose": purpose_block(key),
                "state": "given" if record.is_given else "withdrawn",
                "since": record.event_time.isoformat(),
            }
            for key, record in latest.items()
        ],
        "records": [
            {
                "record_id": str(record.record_id),
                "purpose": record.purpose,
                "consent_type": "explicit",
                "event": {
                    "type": record.event_type,
                    "time": record.event_time.isoformat(),
                    "by": record.event_by,
                },
                "collection_method": record.collection_method,
                "privacy_notice": {
                    "version": record.notice_version,
                    "text_sha256": record.notice_sha256,
                },
                "evidence": record.evidence,
            }
            for record in records
        ],
    }
