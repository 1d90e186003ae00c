"""The daily reminder (manage.py dsr_remind): overdue and due-soon requests to the privacy
officers, once a day, naming no one (R11)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from tutela.accounts.api import User
from tutela.audit.api import Actor
from tutela.rights.models import DataSubjectRequest, DsrEvent
from tutela.rights.services import PRIVACY_OFFICER_GROUP, dsr_open, dsr_reminders_send
from tutela.staff.roles import Role

DAY = timedelta(days=1)
JOB = Actor.system("dsr_remind")


def received(days_ago: float, *, verified: bool = True, name: str = "Grace Hopper") -> Any:
    return dsr_open(
        kind="access",
        channel="post",
        requester_name=name,
        received_at=timezone.now() - days_ago * DAY,
        verified_by="staff_check" if verified else None,
        identity_note="Signed letter matched the account" if verified else "",
        actor=Actor.staff(id=1, first_name="Dana", role="privacy officer"),
    )


def test_the_reminder_goes_to_the_staff_role_named_in_roles_py() -> None:
    assert Role.PRIVACY_OFFICER.value == PRIVACY_OFFICER_GROUP


@pytest.mark.django_db
def test_officers_get_overdue_and_due_soon_requests_once_a_day(
    make_staff: Callable[..., User],
) -> None:
    make_staff(email="dana@c-mes.example")
    make_staff(email="omar@c-mes.example", name="Omar")
    make_staff(role="support", email="sam@c-mes.example", name="Sam")
    overdue = received(35)
    due_soon = received(23.5, name="Ada Lovelace")
    on_time = received(2)
    paused = received(27, verified=False)  # waiting for identity: not due
    out = StringIO()
    call_command("dsr_remind", stdout=out)
    assert f"of 2: {overdue.reference}, {due_soon.reference}" in out.getvalue()
    assert sorted(m.to[0] for m in mail.outbox) == ["dana@c-mes.example", "omar@c-mes.example"]
    body = str(mail.outbox[0].body)
    assert overdue.reference in body and "OVERDUE by 7 days" in body
    assert due_soon.reference in body and "due soon: 4 days left" in body
    assert on_time.reference not in body and paused.reference not in body
    assert "Grace" not in body and "Ada" not in body  # references only, never the person
    assert f"/staff/rights/{overdue.pk}/" in body
    reminded = DsrEvent.objects.filter(kind="reminder_sent")
    assert {e.request_id for e in reminded} == {overdue.pk, due_soon.pk}
    assert {e.actor_label for e in reminded} == {"dsr_remind"}

    mail.outbox.clear()
    again = StringIO()
    call_command("dsr_remind", stdout=again)
    assert "nothing to remind today" in again.getvalue() and not mail.outbox
    assert DsrEvent.objects.filter(kind="reminder_sent").count() == 2


@pytest.mark.django_db
def test_the_next_day_reminds_again_and_answered_requests_drop_out(
    make_staff: Callable[..., User],
) -> None:
    make_staff()
    now = timezone.now()
    late = received(30)
    answered = received(30, name="Ada Lovelace")
    today = dsr_reminders_send(actor=JOB, now=now)
    assert {dsr.pk for dsr in today} == {late.pk, answered.pk}
    assert dsr_reminders_send(actor=JOB, now=now) == []  # the same day: nothing new
    DataSubjectRequest.objects.filter(pk=answered.pk).update(
        status=DataSubjectRequest.Status.DONE, closed_at=now
    )
    # A calendar day later even across a clock change (a day of 25 hours).
    tomorrow = dsr_reminders_send(actor=JOB, now=now + DAY + timedelta(hours=2))
    assert [dsr.pk for dsr in tomorrow] == [late.pk]
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_without_privacy_officers_nothing_is_recorded_as_sent() -> None:
    received(35)
    assert dsr_reminders_send(actor=JOB) == []
    assert not mail.outbox and not DsrEvent.objects.filter(kind="reminder_sent").exists()
