"""Staff reads of rights requests, each access-logged (R7): the queue and a request in full.

Kept apart from selectors.py (customer profiles) to keep modules small; the same rules apply:
check the permission again, record one access event per subject whose data the page shows.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from tutela.crypto.api import data_keys_prefetch
from tutela.policy.api import catalog_entry_for
from tutela.rights.api import PURPOSE, DataSubjectRequest, Deadline, DsrEvent, dsr_deadline
from tutela.staff.roles import HANDLE_RIGHTS_REQUESTS, VIEW_RIGHTS_REQUESTS
from tutela.staff.selectors import StaffMember, _require, record_page_read, record_read


def _page_read(actor: StaffMember, requests: Iterable[DataSubjectRequest], what: str) -> None:
    """The queue shows who asked (their name): one read per subject, keys opened in one query."""
    record_page_read(actor, requests, what, fields=("requester_name",))


def dsr_queue_for_staff(
    actor: StaffMember, *, now: datetime | None = None
) -> list[tuple[DataSubjectRequest, Deadline]]:
    """Every open request with its deadline, least time left first; the read is logged.

    Sorted in Python: time left depends on pauses and extensions (tutela.rights.clock), and the
    open requests of one controller are a short list.
    """
    _require(actor, VIEW_RIGHTS_REQUESTS)
    now = now or timezone.now()
    requests = list(
        DataSubjectRequest.objects.exclude(status__in=DataSubjectRequest.CLOSED_STATUSES)
    )
    _page_read(actor, requests, "rights request queue")
    rows = [(dsr, dsr_deadline(dsr, now=now)) for dsr in requests]
    rows.sort(key=lambda row: (row[1].time_left, row[0].received_at))
    return rows


def dsr_closed_for_staff(actor: StaffMember) -> QuerySet[DataSubjectRequest]:
    """Answered requests (done or refused), most recently closed first; unevaluated (the
    caller paginates, then records the page it shows with `dsr_page_read`)."""
    _require(actor, VIEW_RIGHTS_REQUESTS)
    return DataSubjectRequest.objects.filter(
        status__in=DataSubjectRequest.CLOSED_STATUSES
    ).order_by("-closed_at", "-id")


def dsr_page_read(actor: StaffMember, requests: Iterable[DataSubjectRequest]) -> None:
    """Record that a page of closed requests (with names) was shown."""
    _require(actor, VIEW_RIGHTS_REQUESTS)
    _page_read(actor, requests, "closed rights requests")


def dsr_for_staff(
    actor: StaffMember, dsr_id: uuid.UUID
) -> tuple[DataSubjectRequest, list[DsrEvent]]:
    """One request in full with its history (names, addresses, details, notes); 404 if unknown.
    The read is access-logged with every category the page shows."""
    _require(actor, VIEW_RIGHTS_REQUESTS)
    dsr = DataSubjectRequest.objects.select_related("customer").filter(pk=dsr_id).first()
    if dsr is None:
        raise Http404("No such request.")
    events = list(dsr.events.all())
    data_keys_prefetch([dsr, *events])
    categories = tuple(
        dict.fromkeys(
            [
                *catalog_entry_for(DataSubjectRequest).categories,
                *catalog_entry_for(DsrEvent).categories,
            ]
        )
    )
    record_read(actor, [dsr.subject_id], "rights request", categories=categories, purpose=PURPOSE)
    return dsr, events


def dsr_for_staff_action(actor: StaffMember, dsr_id: uuid.UUID) -> DataSubjectRequest:
    """A request about to be acted on (the action's service logs what it writes); 404 if
    unknown. Nothing is shown, so nothing is recorded as read."""
    _require(actor, HANDLE_RIGHTS_REQUESTS)
    dsr = DataSubjectRequest.objects.filter(pk=dsr_id).first()
    if dsr is None:
        raise Http404("No such request.")
    return dsr
