"""Staff reads of applications (support requests), each access-logged (R7).

The same rules as selectors.py: check the permission again, then record one access event per
subject whose data the page shows, with the categories and purpose from the catalog.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db.models import QuerySet
from django.http import Http404

from tutela.policy.api import catalog_entry_for
from tutela.staff.roles import VIEW_APPLICATIONS
from tutela.staff.selectors import StaffMember, _require, record_page_read, record_read
from tutela.support.api import Application, Attachment, Message, Thread, attachment_of, thread_of
from tutela.support.api import queue as support_queue

# The queue's filters: what still needs us (the default), each status, or everything.
QUEUE_FILTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "active": (
        "Not closed",
        (
            Application.Status.OPEN,
            Application.Status.WAITING_FOR_CUSTOMER,
            Application.Status.ANSWERED,
        ),
    ),
    **{status.value: (str(status.label), (status.value,)) for status in Application.Status},
    "all": ("All", tuple(Application.Status.values)),
}


def applications_queue_for_staff(actor: StaffMember, *, show: str) -> QuerySet[Application]:
    """The queue: open first, then the longest-waiting; unevaluated (the caller paginates, then
    records the page it shows with `applications_page_read`). Unknown filters show the default."""
    _require(actor, VIEW_APPLICATIONS)
    _, statuses = QUEUE_FILTERS.get(show, QUEUE_FILTERS["active"])
    return support_queue(statuses)


def applications_page_read(actor: StaffMember, applications: Iterable[Application]) -> None:
    """Record that a page of subject lines was shown; open its data keys in one query."""
    _require(actor, VIEW_APPLICATIONS)
    record_page_read(actor, applications, "application queue", fields=("subject_line",))


def application_thread_for_staff(actor: StaffMember, application_id: uuid.UUID) -> Thread:
    """One application with its whole thread; 404 if unknown. A logged read (R7)."""
    _require(actor, VIEW_APPLICATIONS)
    application = Application.objects.filter(pk=application_id).first()
    if application is None:
        raise Http404("No such application.")
    thread = thread_of(application)
    categories = tuple(
        dict.fromkeys(
            category
            for model in (Application, Message, Attachment)
            for category in catalog_entry_for(model).categories
        )
    )
    record_read(
        actor,
        [application.subject_id],
        f"application {application.reference}",
        categories=categories,
        purpose=catalog_entry_for(Message).purpose,
    )
    return thread


def application_for_staff(actor: StaffMember, application_id: uuid.UUID) -> Application:
    """An application to write to (reply, status), without reading its thread; 404 if unknown."""
    _require(actor, VIEW_APPLICATIONS)
    application = Application.objects.filter(pk=application_id).first()
    if application is None:
        raise Http404("No such application.")
    return application


def attachment_for_staff(
    actor: StaffMember, application_id: uuid.UUID, attachment_id: uuid.UUID
) -> Attachment:
    """One attachment with its content, for download; 404 if unknown. A logged read (R7)."""
    _require(actor, VIEW_APPLICATIONS)
    attachment = attachment_of(application_id, attachment_id)
    if attachment is None:
        raise Http404("No such attachment.")
    entry = catalog_entry_for(Attachment)
    record_read(
        actor,
        [attachment.subject_id],
        f"attachment of application {attachment.message.application.reference}",
        categories=entry.categories,
        purpose=entry.purpose,
    )
    return attachment
