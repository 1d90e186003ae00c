"""The daily reminder to the privacy officers (manage.py dsr_remind)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from tutela.accounts.api import User
from tutela.audit.api import Actor
from tutela.rights import emails
from tutela.rights.clock import ClockState, days_left, days_overdue
from tutela.rights.models import DataSubjectRequest, DsrEvent
from tutela.rights.services.base import (
    PRIVACY_OFFICER_GROUP,
    Event,
    record_event,
)

# --- the daily reminder -----------------------------------------------------------------------


def _privacy_officer_emails() -> list[str]:
    users = User.objects.filter(
        groups__name=PRIVACY_OFFICER_GROUP, is_active=True, is_staff=True
    ).order_by("pk")
    return [str(user.email) for user in users if user.email]


def dsr_reminders_send(*, actor: Actor, now: datetime | None = None) -> list[DataSubjectRequest]:
    """Email the privacy officers the open requests that are overdue or due soon; returns them.

    Idempotent per day (local time): a request already in today's reminder is left out, so a
    second run the same day sends nothing. Each request reminded gets a REMINDER_SENT event.
    The email names references, kinds and dates only, never the person.
    """
    now = now or timezone.now()
    day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    with transaction.atomic():
        open_requests = list(
            DataSubjectRequest.objects.select_for_update()
            .exclude(status__in=DataSubjectRequest.CLOSED_STATUSES)
            .order_by("received_at", "id")
        )
        urgent = [
            dsr
            for dsr in open_requests
            if dsr.clock.state(now=now) in (ClockState.OVERDUE, ClockState.DUE_SOON)
        ]
        reminded = set(
            DsrEvent.objects.filter(
                kind=Event.REMINDER_SENT, at__gte=day_start, request__in=urgent
            ).values_list("request_id", flat=True)
        )
        due = [dsr for dsr in urgent if dsr.pk not in reminded]
        recipients = _privacy_officer_emails()
        if not due or not recipients:
            return []
        due.sort(key=lambda dsr: dsr.clock.time_left(now=now))
        rows = [
            {
                "reference": dsr.reference,
                "kind": dsr.get_kind_display(),
                "status": dsr.get_status_display(),
                "due": timezone.localtime(dsr.clock.due_at(now=now)),
                "days_left": days_left(dsr.clock.time_left(now=now)),
                "overdue": dsr.clock.is_overdue(now=now),
                "overdue_days": days_overdue(dsr.clock.time_left(now=now)),
                "url": emails.absolute_url(reverse("staff:dsr_detail", kwargs={"dsr_id": dsr.pk})),
            }
            for dsr in due
        ]
        for dsr in due:
            record_event(dsr, Event.REMINDER_SENT, actor, at=now)
        # Sent inside the transaction: if sending fails, the events roll back and the next run
        # tries again; sent twice only if the commit itself fails after a successful send.
        for to in recipients:
            emails.send(
                "reminder",
                to,
                {"rows": rows, "queue_url": emails.absolute_url(reverse("staff:dsr_queue"))},
            )
    return due
