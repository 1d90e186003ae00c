"""Staff reads of correspondence (emails, call records, recordings, unmatched mail), each
access-logged (R7).

The same rules as selectors.py: check the permission again, and record one access event per
subject whose data the page shows, with the categories it shows.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db.models import QuerySet
from django.http import Http404

from tutela.correspondence.api import (
    CallRecord,
    CallRecording,
    EmailRecord,
    calls_with_recording_flag,
)
from tutela.crypto.api import data_keys_prefetch, is_erased
from tutela.customers.api import Customer
from tutela.policy.api import catalog_entry_for
from tutela.staff.roles import FILE_UNMATCHED_EMAIL, PLAY_CALL_RECORDINGS, VIEW_CORRESPONDENCE
from tutela.staff.selectors import StaffMember, _require, record_page_read, record_read

LIST_LIMIT = 200


def _email_categories(*fields: str) -> tuple[str, ...]:
    entry = catalog_entry_for(EmailRecord)
    if not fields:
        return entry.categories
    return tuple(dict.fromkeys(c for name in fields for c in entry.field_categories(name)))


def correspondence_customer(actor: StaffMember, customer_id: int) -> Customer:
    """The customer whose correspondence a page is about; 404 if unknown (the page logs)."""
    _require(actor, VIEW_CORRESPONDENCE)
    customer = Customer.objects.select_related("user").filter(pk=customer_id).first()
    if customer is None:
        raise Http404("No such customer.")
    return customer


def customer_correspondence_for_staff(
    actor: StaffMember, customer: Customer
) -> tuple[list[EmailRecord], list[CallRecord]]:
    """The customer's emails (without bodies) and call records, newest first; one logged read
    of what the page shows: their name, addresses, subject lines and call notes."""
    _require(actor, VIEW_CORRESPONDENCE)
    emails = list(EmailRecord.objects.filter(customer=customer).defer("body")[:LIST_LIMIT])
    calls = list(
        calls_with_recording_flag(CallRecord.objects.filter(customer=customer))[:LIST_LIMIT]
    )
    data_keys_prefetch(emails)
    data_keys_prefetch(calls)
    entry = catalog_entry_for(CallRecord)
    record_read(
        actor,
        [customer.subject_id],
        "correspondence list",
        categories=(
            "name",
            *_email_categories("from_address", "subject_line"),
            *entry.field_categories("notes"),
        ),
        purpose=entry.purpose,
    )
    return emails, calls


def email_for_staff(actor: StaffMember, email_id: uuid.UUID) -> EmailRecord:
    """One email in full, with what the scan found in it; 404 if unknown."""
    _require(actor, VIEW_CORRESPONDENCE)
    email = EmailRecord.objects.select_related("customer").filter(pk=email_id).first()
    if email is None:
        raise Http404("No such email.")
    record_read(
        actor,
        [email.subject_id],
        "email",
        categories=_email_categories(),
        purpose=catalog_entry_for(EmailRecord).purpose,
    )
    return email


def call_for_staff(actor: StaffMember, call_id: uuid.UUID) -> CallRecord:
    """One call record with its notes; 404 if unknown. The recording is not read here."""
    _require(actor, VIEW_CORRESPONDENCE)
    call = (
        calls_with_recording_flag(CallRecord.objects.filter(pk=call_id))
        .select_related("customer")
        .first()
    )
    if call is None:
        raise Http404("No such call.")
    entry = catalog_entry_for(CallRecord)
    record_read(
        actor, [call.subject_id], "call record", categories=entry.categories, purpose=entry.purpose
    )
    return call


def call_recording_for_staff(actor: StaffMember, call_id: uuid.UUID) -> CallRecording:
    """A call's recording, decrypted for playing; 404 if the call has none (or is unknown)."""
    _require(actor, PLAY_CALL_RECORDINGS)
    recording = CallRecording.objects.filter(call_id=call_id).first()
    if recording is None:
        raise Http404("This call has no recording.")
    if is_erased(recording.audio):
        raise Http404("This recording was erased.")
    entry = catalog_entry_for(CallRecording)
    record_read(
        actor,
        [recording.subject_id],
        "call recording",
        categories=entry.categories,
        purpose=entry.purpose,
    )
    return recording


def unmatched_emails_for_staff(actor: StaffMember) -> QuerySet[EmailRecord]:
    """Imported mail that matched no customer, newest first; unevaluated (the caller paginates
    and records the read of the page it shows with `unmatched_emails_page_read`)."""
    _require(actor, VIEW_CORRESPONDENCE)
    return (
        EmailRecord.objects.filter(customer__isnull=True).defer("body").order_by("-sent_at", "-id")
    )


def unmatched_emails_page_read(actor: StaffMember, emails: Iterable[EmailRecord]) -> None:
    """Record that a page of unmatched mail (senders, subject lines) was shown; each message
    is its own subject. Opens the page's data keys in one query."""
    _require(actor, VIEW_CORRESPONDENCE)
    record_page_read(actor, emails, "unmatched email list", fields=("from_address", "subject_line"))


def unmatched_email_for_staff(actor: StaffMember, email_id: uuid.UUID) -> EmailRecord:
    """One unmatched message in full, to decide whose it is; 404 if unknown or already filed."""
    _require(actor, FILE_UNMATCHED_EMAIL)
    email = EmailRecord.objects.filter(pk=email_id, customer__isnull=True).first()
    if email is None:
        raise Http404("No such unmatched email (it may have been filed already).")
    record_read(
        actor,
        [email.subject_id],
        "unmatched email",
        categories=_email_categories(),
        purpose=catalog_entry_for(EmailRecord).purpose,
    )
    return email
