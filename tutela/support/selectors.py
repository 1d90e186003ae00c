"""Reads for applications on the customer's side; the trust boundary is the customer's account.

Staff reads are in tutela/staff/support_selectors.py (support cannot import staff), built on the
helpers at the end of this module so both sides read the thread the same way.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Case, IntegerField, Prefetch, QuerySet, Value, When
from django.http import Http404

from tutela.crypto.api import data_keys_prefetch
from tutela.customers.api import Customer
from tutela.support.models import Application, Attachment, Message


@dataclass(frozen=True)
class Thread:
    """An application with its messages (oldest first), each with its attachments' details."""

    application: Application
    messages: list[Message]


def applications_for_customer(customer: Customer, *, limit: int = 100) -> list[Application]:
    """The customer's own applications, most recently active first, data keys opened once."""
    applications = list(Application.objects.filter(customer=customer)[:limit])
    data_keys_prefetch(applications)
    return applications


def application_for_customer(customer: Customer, application_id: uuid.UUID) -> Application:
    """One of the customer's own applications; 404 for anyone else's, so ids reveal nothing."""
    application = Application.objects.filter(customer=customer, pk=application_id).first()
    if application is None:
        raise Http404("No such application.")
    return application


def attachment_for_customer(
    customer: Customer, application_id: uuid.UUID, attachment_id: uuid.UUID
) -> Attachment:
    """One attachment of one of the customer's own applications, content included; else 404."""
    attachment = (
        Attachment.objects.filter(
            pk=attachment_id,
            message__application_id=application_id,
            message__application__customer=customer,
        )
        .select_related("message__application")
        .first()
    )
    if attachment is None:
        raise Http404("No such attachment.")
    return attachment


# --- Shared by the customer's and the staff's pages -------------------------------------------


def thread_of(application: Application) -> Thread:
    """The application's messages with their attachments, without the files' bytes.

    Three queries whatever the thread's length (application already loaded; messages;
    attachments), and one key-store query, so a long thread costs no query per message.
    """
    attachments = Attachment.objects.defer("content").order_by("created_at", "id")
    messages = list(
        Message.objects.filter(application=application).prefetch_related(
            Prefetch("attachments", queryset=attachments)
        )
    )
    files = [attachment for message in messages for attachment in message.attachments.all()]
    # One model at a time: the prefetch reads the encrypted fields of the first row's model.
    for rows in ([application], messages, files):
        data_keys_prefetch(rows)
    return Thread(application=application, messages=messages)


def attachment_of(application_id: uuid.UUID, attachment_id: uuid.UUID) -> Attachment | None:
    """An attachment of an application, content included, or None (no ownership check)."""
    return (
        Attachment.objects.filter(pk=attachment_id, message__application_id=application_id)
        .select_related("message__application")
        .first()
    )


def queue(statuses: Iterable[str]) -> QuerySet[Application]:
    """Applications with these statuses: open first, then by who has waited longest."""
    rank = Case(
        *(
            When(status=status, then=Value(position))
            for position, status in enumerate(Application.Status.values)
        ),
        output_field=IntegerField(),
    )
    return (
        Application.objects.filter(status__in=list(statuses))
        .annotate(status_rank=rank)
        .order_by("status_rank", "customer_wrote_at", "id")
    )
