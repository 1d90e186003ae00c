"""Reads for correspondence on the customer's side; the trust boundary is the customer's own
account (staff reads are in tutela/staff/correspondence_selectors.py, access-logged)."""

from __future__ import annotations

import uuid

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from tutela.correspondence.models import CallRecord, CallRecording, EmailRecord
from tutela.crypto.api import data_keys_prefetch
from tutela.customers.api import Customer


def calls_with_recording_flag(calls: QuerySet[CallRecord]) -> QuerySet[CallRecord]:
    """Calls annotated with `has_recording`, without loading any audio."""
    return calls.annotate(has_recording=Exists(CallRecording.objects.filter(call=OuterRef("pk"))))


def emails_for_customer(customer: Customer, *, limit: int = 100) -> list[EmailRecord]:
    """The customer's own emails, newest first, without their bodies (the list shows none)."""
    emails = list(EmailRecord.objects.filter(customer=customer).defer("body")[:limit])
    data_keys_prefetch(emails)
    return emails


def calls_for_customer(customer: Customer, *, limit: int = 100) -> list[CallRecord]:
    """The customer's own call records, newest first."""
    calls = list(calls_with_recording_flag(CallRecord.objects.filter(customer=customer))[:limit])
    data_keys_prefetch(calls)
    return calls


def email_for_customer(customer: Customer, email_id: uuid.UUID) -> EmailRecord:
    """One of the customer's own emails; 404 for anyone else's, so ids reveal nothing (R38)."""
    email = EmailRecord.objects.filter(customer=customer, pk=email_id).first()
    if email is None:
        raise Http404("No such email.")
    return email


def call_for_customer(customer: Customer, call_id: uuid.UUID) -> CallRecord:
    """One of the customer's own call records; 404 for anyone else's (R38)."""
    call = calls_with_recording_flag(CallRecord.objects.filter(customer=customer, pk=call_id))
    found = call.first()
    if found is None:
        raise Http404("No such call.")
    return found
