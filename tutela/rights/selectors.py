"""Reads for rights requests on the person's side: their own requests, the links we emailed them,
and how each request stands against its deadline. Anything not theirs is a 404 (R38)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.http import Http404, HttpRequest
from django.utils import timezone

from tutela.audit.api import Actor, access_record
from tutela.customers.api import Customer
from tutela.policy.api import Right, current_policy
from tutela.rights import emails
from tutela.rights.clock import ClockState, days_left, days_overdue
from tutela.rights.models import DataSubjectRequest, DsrEvent, ExportFile
from tutela.rights.services import EXPORT_LIFETIME, PURPOSE, VERIFY_LINK_MAX_AGE

# History events whose note was written to the person anyway (a question, a reason, the outcome);
# the others' notes are staff's working notes, shown to the person in their access export.
NOTES_SHOWN_TO_PERSON = frozenset(
    {
        DsrEvent.Kind.PAUSED,
        DsrEvent.Kind.EXTENDED,
        DsrEvent.Kind.DECIDED,
        DsrEvent.Kind.COMPLETED,
    }
)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class Deadline:
    """How a request stands against its deadline, in words and as a CSS class (never colour
    alone: the label says the same thing)."""

    state: ClockState
    due_at: datetime
    time_left: timedelta
    days_left: int

    @property
    def css_class(self) -> str:
        """deadline-overdue, deadline-due_soon, deadline-on_time, ..."""
        return f"deadline deadline-{self.state}"

    @property
    def label(self) -> str:
        """ "Overdue by 2 days", "Due soon: 3 days left", "Paused: 12 days left when resumed"."""
        days = self.days_left
        if self.state == ClockState.OVERDUE:
            late = days_overdue(self.time_left)
            return f"Overdue by {_plural(late, 'day')}" if late else "Overdue since today"
        if self.state == ClockState.DUE_SOON:
            return "Due soon: due today" if days == 0 else f"Due soon: {_plural(days, 'day')} left"
        if self.state == ClockState.ON_TIME:
            return f"On time: {_plural(days, 'day')} left"
        if self.state == ClockState.PAUSED:
            left = f"{_plural(days, 'day')} left" if days >= 0 else "already late"
            return f"Paused (waiting for the person): {left} when resumed"
        return "Answered late" if days < 0 else "Answered on time"


def dsr_deadline(dsr: DataSubjectRequest, *, now: datetime | None = None) -> Deadline:
    """The request's deadline reading as of `now`."""
    now = now or timezone.now()
    clock = dsr.clock
    left = clock.time_left(now=now)
    return Deadline(
        state=clock.state(now=now),
        due_at=clock.due_at(now=now),
        time_left=left,
        days_left=days_left(left),
    )


# --- the Privacy Centre -----------------------------------------------------------------------


@dataclass(frozen=True)
class RightOffer:
    """A right as the Privacy Centre shows it: the policy's words and whether one can ask here."""

    right: Right
    kind: str | None  # the request kind to ask for, None for rights used elsewhere (complaint)


def rights_offered() -> list[RightOffer]:
    """The policy's rights in its order, each with the request kind that uses it."""
    kinds = set(DataSubjectRequest.Kind.values)
    return [
        RightOffer(right=right, kind=str(right.key) if str(right.key) in kinds else None)
        for right in current_policy().rights
    ]


def requests_for_customer(customer: Customer, *, limit: int = 50) -> list[DataSubjectRequest]:
    """The customer's own requests, newest first."""
    return list(DataSubjectRequest.objects.filter(customer=customer)[:limit])


def request_for_customer(customer: Customer, dsr_id: uuid.UUID) -> DataSubjectRequest:
    """One of the customer's own requests; 404 for anyone else's, so ids reveal nothing."""
    dsr = DataSubjectRequest.objects.filter(customer=customer, pk=dsr_id).first()
    if dsr is None:
        raise Http404("No such request.")
    return dsr


def history_for_person(dsr: DataSubjectRequest) -> list[tuple[DsrEvent, str]]:
    """The request's history as the person sees it: each event with the note they were told."""
    events = list(dsr.events.all())
    return [
        (event, str(event.note) if event.kind in NOTES_SHOWN_TO_PERSON else "")
        for event in events
        if event.kind != DsrEvent.Kind.REMINDER_SENT
    ]


def exports_for_customer(customer: Customer, *, now: datetime | None = None) -> list[ExportFile]:
    """The customer's exports whose link still works, newest first (content not loaded)."""
    now = now or timezone.now()
    return list(
        ExportFile.objects.filter(request__customer=customer, expires_at__gt=now)
        .select_related("request")
        .defer("json_data", "html_data")
    )


def _live_export(export: ExportFile | None, now: datetime) -> ExportFile:
    # One answer for every failure (unknown, expired, unverified): a third party learns nothing.
    if export is None or not export.is_live(now=now) or not export.request.is_verified:
        raise Http404("No such download, or its link has expired.")
    return export


def export_for_owner(
    customer: Customer, export_id: uuid.UUID, *, now: datetime | None = None
) -> ExportFile:
    """The customer's own live export; 404 for another account's, an expired one or unknown."""
    export = (
        ExportFile.objects.select_related("request")
        .filter(pk=export_id, request__customer=customer)
        .first()
    )
    return _live_export(export, now or timezone.now())


def export_for_link(token: str, *, now: datetime | None = None) -> ExportFile:
    """The export an emailed link names, for a person without an account; 404 for a wrong,
    altered or expired link, or an export that belongs to an account (its owner signs in)."""
    found = emails.export_token_open(token, max_age=EXPORT_LIFETIME)
    try:
        export_id = uuid.UUID(hex=found) if found else None
    except ValueError:
        export_id = None
    export = (
        ExportFile.objects.select_related("request")
        .filter(pk=export_id, request__customer__isnull=True)
        .first()
        if export_id
        else None
    )
    return _live_export(export, now or timezone.now())


def export_download(
    export: ExportFile, fmt: str, *, actor: Actor, request: HttpRequest | None = None
) -> bytes:
    """The export's bytes in one format; every download is access-logged (action "export")."""
    if fmt not in ExportFile.Format.values:
        raise Http404("No such format.")
    content = export.content(fmt)
    access_record(
        actor=actor,
        subject=export.subject_id,
        categories=("data_export",),
        purpose=PURPOSE,
        action="export",
        request=request,
        detail=f"downloaded the copy of the data ({fmt}) for {export.request.reference}",
    )
    return content


def request_for_verify_token(token: str) -> DataSubjectRequest | None:
    """The request an emailed verification link was made for, if the link is good and still
    names the request's current address; None otherwise."""
    opened = emails.verify_token_open(token, max_age=VERIFY_LINK_MAX_AGE)
    if opened is None:
        return None
    request_hex, tag = opened
    try:
        dsr_id = uuid.UUID(hex=request_hex)
    except ValueError:
        return None
    dsr = DataSubjectRequest.objects.filter(pk=dsr_id).first()
    if dsr is None or not emails.email_tag_matches(dsr, tag):
        return None
    return dsr
