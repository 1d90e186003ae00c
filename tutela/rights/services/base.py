"""What the rights services share: constants, the history, the access log, status checks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.http import HttpRequest
from django.utils import timezone

from tutela.audit.api import Actor, ActorKind, access_record
from tutela.customers.api import validate_plain_text
from tutela.policy.api import deadline_days
from tutela.rights.clock import Clock, ClockError
from tutela.rights.models import DataSubjectRequest, DsrEvent

Kind = DataSubjectRequest.Kind
Status = DataSubjectRequest.Status
Verification = DataSubjectRequest.Verification
Event = DsrEvent.Kind

PURPOSE = "rights_requests"
# Repeated requests (R13): the third of the same kind by the same person within the window is
# flagged as possibly excessive, for staff to judge; nothing is refused automatically.
REPEAT_WINDOW = timedelta(days=90)
REPEAT_LIMIT = 3
# How long the emailed verification link and an export's download link work.
VERIFY_LINK_MAX_AGE = timedelta(days=7)
EXPORT_LIFETIME = timedelta(days=7)
# A sanity bound for "a reasonable fee" (Art. 12(5)); staff justify the amount in the reason.
FEE_MAX_PENCE = 100_000
NOTE_MAX = 2000
# How the history names the person acting on their own request.
REQUESTER_LABEL = "requester"
# The staff role whose members get the daily reminder (tutela.staff.roles.Role.PRIVACY_OFFICER;
# rights sits below staff, so the group is named here and a test keeps the two equal).
PRIVACY_OFFICER_GROUP = "privacy_officer"
ACCESS_KINDS = frozenset({Kind.ACCESS, Kind.PORTABILITY})


class ExportUnavailable(ImproperlyConfigured):
    """The export library (tutela.rights.export) is not installed in this build."""


class Export(Protocol):
    """What the export library returns for one subject."""

    def to_json(self) -> dict[str, Any]:
        """The machine-readable copy (R10)."""
        ...

    def to_html(self) -> str:
        """The readable document with purposes, recipients, retention and source (R9)."""
        ...


Collect = Callable[[str], Export]


# --- helpers ---------------------------------------------------------------------------------


def period_days_for(kind: str) -> int:
    """The policy's deadline in days for a right (access: 28), read from the policy file."""
    days = deadline_days(kind)
    if days is None:
        raise ImproperlyConfigured(f"the policy sets no deadline for the right {kind!r}")
    return days


def actor_label(actor: Actor) -> str:
    return REQUESTER_LABEL if actor.kind == ActorKind.CUSTOMER else actor.label


def clean_text(value: str, field: str, *, required: str = "", max_length: int = NOTE_MAX) -> str:
    """Strip and check one piece of free text; ValidationError keyed by `field`."""
    value = (value or "").strip()
    if not value:
        if required:
            raise ValidationError({field: required})
        return ""
    if len(value) > max_length:
        raise ValidationError({field: f"At most {max_length} characters (you gave {len(value)})."})
    try:
        validate_plain_text(value)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None
    return value


def record_event(
    dsr: DataSubjectRequest, kind: str, actor: Actor, *, at: datetime, note: str = ""
) -> DsrEvent:
    """Append one history event; the caller holds the transaction of the change."""
    event = DsrEvent(
        request=dsr,
        # The caller holds the request's row lock (or just created it), so no race; the unique
        # constraint would refuse one anyway.
        position=DsrEvent.objects.filter(request=dsr).count() + 1,
        subject_id=dsr.subject_id,
        kind=kind,
        at=at,
        actor_label=actor_label(actor),
        status_after=dsr.status,
        note=note,
    )
    event.save()
    return event


def log_write(
    actor: Actor,
    dsr: DataSubjectRequest,
    detail: str,
    *,
    categories: tuple[str, ...] = ("correspondence",),
    action: str = "change",
    request: HttpRequest | None = None,
) -> None:
    """Access-log a write of the person's data by staff, a job or the API (R7)."""
    if actor.kind == ActorKind.CUSTOMER:
        return  # the person writing their own request
    access_record(
        actor=actor,
        subject=dsr.subject_id,
        categories=categories,
        purpose=PURPOSE,
        action=action,
        request=request,
        detail=f"{detail} {dsr.reference}",
    )


def locked_copy(dsr: DataSubjectRequest) -> DataSubjectRequest:
    return DataSubjectRequest.objects.select_for_update().get(pk=dsr.pk)


def need_status(dsr: DataSubjectRequest, *statuses: str, doing: str) -> None:
    if dsr.status not in statuses:
        allowed = " or ".join(str(Status(s).label).lower() for s in statuses)
        raise ValidationError(
            f"Cannot {doing}: the request is {dsr.get_status_display().lower()} "
            f"(it must be {allowed}).",
            code="status",
        )


def clock_change(change: Callable[[], Clock], field: str) -> Clock:
    try:
        return change()
    except ClockError as exc:
        raise ValidationError({field: str(exc)[:1].upper() + str(exc)[1:] + "."}) from None


def due_text(dsr: DataSubjectRequest, now: datetime) -> str:
    return f"{timezone.localtime(dsr.clock.due_at(now=now)):%d %B %Y}"


def close_done(dsr: DataSubjectRequest, outcome: str, actor: Actor, *, now: datetime) -> None:
    dsr.clock_store(clock_change(lambda: dsr.clock.stopped(at=now), "outcome"))
    dsr.status = Status.DONE
    dsr.outcome_note = outcome
    dsr.save()
    record_event(dsr, Event.COMPLETED, actor, at=now, note=outcome)
