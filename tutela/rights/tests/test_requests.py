"""Rights requests through their services: receipt, identity, the clock, decisions and answers,
each with its history event in the same transaction (R9-R13, R19)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from tutela.audit.api import AccessEvent, Actor
from tutela.customers.api import Customer
from tutela.rights.models import DataSubjectRequest, DsrEvent
from tutela.rights.services import (
    REPEAT_WINDOW,
    dsr_complete,
    dsr_decide,
    dsr_extend,
    dsr_open,
    dsr_pause,
    dsr_resume,
    dsr_verification_send,
    dsr_verify,
)

Kind = DataSubjectRequest.Kind
Status = DataSubjectRequest.Status
DAY = timedelta(days=1)
OFFICER = Actor.staff(id=1, first_name="Dana", role="privacy officer")


def customer_request(customer: Customer, kind: str = "access", **extra: Any) -> DataSubjectRequest:
    return dsr_open(
        kind=kind,
        channel="account",
        customer=customer,
        verified_by="reauthentication",
        actor=Actor.customer(id=customer.user.pk),
        **extra,
    )


def emailed_request(**extra: Any) -> DataSubjectRequest:
    values: dict[str, Any] = {
        "kind": "access",
        "channel": "email",
        "requester_name": "Grace Hopper",
        "requester_email": "grace@example.org",
        "details": "Everything you hold about me, please.",
        "actor": OFFICER,
    }
    values.update(extra)
    return dsr_open(**values)


def kinds(dsr: DataSubjectRequest) -> list[str]:
    return list(DsrEvent.objects.filter(request=dsr).values_list("kind", flat=True))


@pytest.mark.django_db
def test_a_customer_request_is_verified_at_once_and_due_28_days_after_receipt(
    make_customer: Callable[..., Customer],
) -> None:
    """R11, R12: re-authentication is the identity check, so the clock runs from receipt."""
    customer = make_customer()
    now = timezone.now()
    dsr = customer_request(customer, now=now)
    assert dsr.status == Status.IN_PROGRESS and dsr.is_verified
    assert dsr.identity_method == "reauthentication"
    assert dsr.subject_id == customer.subject_id and dsr.period_days == 28
    assert dsr.clock.due_at(now=now) == dsr.received_at + 28 * DAY
    assert kinds(dsr) == ["opened", "verified"]
    assert not AccessEvent.objects.exists()  # the person writing their own request


@pytest.mark.django_db
def test_the_period_is_read_from_the_policy_file(
    make_customer: Callable[..., Customer], tmp_path: Path
) -> None:
    """R11: the deadline comes from the policy's `rights`, not from the code."""
    data = yaml.safe_load(Path("policy/c-mes.yaml").read_text(encoding="utf-8"))
    for right in data["rights"]:
        if right["key"] == "erasure":
            right["deadline_days"] = 21
    changed = tmp_path / "policy.yaml"
    changed.write_text(yaml.safe_dump(data), encoding="utf-8")
    with override_settings(TUTELA_POLICY_FILE=changed):
        dsr = customer_request(make_customer(), kind="erasure")
    assert dsr.period_days == 21
    assert dsr.clock.due_at(now=dsr.received_at) == dsr.received_at + 21 * DAY


@pytest.mark.django_db
def test_an_emailed_request_waits_for_identity_with_its_details_encrypted() -> None:
    """R6, R11, R12: no account, so a subject of its own; the clock waits from receipt."""
    dsr = emailed_request()
    assert dsr.status == Status.AWAITING_VERIFICATION and not dsr.is_verified
    assert dsr.paused_since == dsr.received_at and dsr.customer is None
    assert DataSubjectRequest.objects.get(requester_email="GRACE@example.org").pk == dsr.pk
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT requester_email, requester_name, details FROM rights_datasubjectrequest"
        )
        row = cursor.fetchone()
    for column in row:
        assert b"grace" not in bytes(column).lower() and b"Everything" not in bytes(column)
    assert AccessEvent.objects.get(action="create").actor_label == "Dana (privacy officer)"


@pytest.mark.django_db
def test_a_request_from_a_customer_s_address_is_filed_under_that_customer(
    make_customer: Callable[..., Customer],
) -> None:
    customer = make_customer(email="ada@example.com")
    dsr = emailed_request(requester_email="Ada@Example.com", requester_name="Ada")
    assert dsr.customer == customer and dsr.subject_id == customer.subject_id


BAD_OPENINGS = [
    ({"kind": "everything"}, "kind", "Choose one of the rights"),
    ({"channel": "pigeon"}, "channel", "Choose how the request arrived"),
    ({"received_at": timezone.now() + DAY}, "received_at", "cannot be in the future"),
    ({"requester_name": " "}, "requester_name", "Enter the name"),
    ({"requester_email": ""}, "requester_email", "Enter the email address"),
    ({"requester_email": "not an address"}, "requester_email", "Enter a valid email address"),
    ({"details": "x" * 4001}, "details", "at most 4000"),
    ({"details": "nul \x00 byte"}, "details", ""),
    ({"requester_name": "<script>alert(1)</script>"}, "requester_name", ""),
    ({"verified_by": "staff_check", "identity_note": ""}, "identity_note", "Say what was checked"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "field", "message"), BAD_OPENINGS)
def test_bad_input_names_the_field_and_stores_nothing(
    change: dict[str, Any], field: str, message: str
) -> None:
    """R40."""
    with pytest.raises(ValidationError) as caught:
        emailed_request(**change)
    assert field in caught.value.message_dict
    assert message.lower() in " ".join(caught.value.message_dict[field]).lower()
    assert not DataSubjectRequest.objects.exists() and not DsrEvent.objects.exists()
    assert not AccessEvent.objects.exists()


@pytest.mark.django_db
def test_a_second_open_request_of_the_same_kind_from_the_account_is_refused(
    make_customer: Callable[..., Customer],
) -> None:
    customer = make_customer()
    first = customer_request(customer)
    with pytest.raises(ValidationError, match=f"already have an open request.*{first.reference}"):
        customer_request(customer)
    assert DataSubjectRequest.objects.count() == 1
    customer_request(customer, kind="erasure")  # another right is fine


@pytest.mark.django_db
def test_the_third_request_of_a_kind_within_90_days_is_flagged_possibly_excessive() -> None:
    """R13: repeats are flagged automatically; staff judge them."""
    now = timezone.now()
    checked = {"verified_by": "staff_check", "identity_note": "Known address", "now": now}
    old = emailed_request(received_at=now - 2 * REPEAT_WINDOW, **checked)
    first = emailed_request(received_at=now - 60 * DAY, **checked)
    second = emailed_request(received_at=now - 10 * DAY, **checked)
    other_kind = emailed_request(kind="erasure", **checked)
    third = emailed_request(requester_email="GRACE@example.org", now=now)
    assert not any(d.possibly_excessive for d in (old, first, second, other_kind))
    assert third.possibly_excessive
    assert kinds(third) == ["opened", "flagged"]
    note = DsrEvent.objects.get(request=third, kind="flagged").note
    assert note == "Request 3 of this kind from this person within 90 days."


@pytest.mark.django_db
def test_requests_nobody_verified_do_not_make_the_next_one_look_excessive() -> None:
    """Anyone can type an address into the form; only verified requests count as repeats."""
    for _ in range(3):
        emailed_request()
    assert not emailed_request(verified_by="staff_check", identity_note="x").possibly_excessive


@pytest.mark.django_db
def test_the_emailed_link_verifies_and_the_clock_runs_from_then(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """R12: only after following the link is the request verified; the pause does not count."""
    now = timezone.now()
    dsr = emailed_request(received_at=now - 5 * DAY, now=now)
    with django_capture_on_commit_callbacks(execute=True):
        dsr_verification_send(dsr=dsr, actor=Actor.customer(id=None))
    [message] = mail.outbox
    assert message.to == ["grace@example.org"]
    assert re.search(r"http://\S+/privacy/verify/\S+/", str(message.body))
    dsr = dsr_verify(dsr=dsr, method="email_link", actor=Actor.customer(id=None), now=now)
    assert dsr.status == Status.IN_PROGRESS and dsr.identity_method == "email_link"
    assert dsr.paused_total == 5 * DAY and dsr.paused_since is None
    assert dsr.clock.due_at(now=now) == now + 28 * DAY
    assert kinds(dsr) == ["opened", "verification_sent", "verified"]
    with pytest.raises(ValidationError, match="already verified"):
        dsr_verify(dsr=dsr, method="email_link", actor=Actor.customer(id=None))


@pytest.mark.django_db
def test_a_staff_identity_check_needs_a_note_and_is_access_logged() -> None:
    dsr = emailed_request(channel="phone", requester_email="")
    with pytest.raises(ValidationError) as caught:
        dsr_verify(dsr=dsr, method="staff_check", note="  ", actor=OFFICER)
    assert "note" in caught.value.message_dict
    dsr = dsr_verify(dsr=dsr, method="staff_check", note="Called back on file", actor=OFFICER)
    assert dsr.identity_note == "Called back on file"
    assert AccessEvent.objects.filter(action="change", purpose="rights_requests").count() == 1
    with pytest.raises(ValidationError, match="no email address"):
        dsr_verification_send(
            dsr=emailed_request(channel="post", requester_email=""), actor=OFFICER
        )


@pytest.mark.django_db
def test_clarification_pauses_the_clock_and_the_answer_resumes_it(
    make_customer: Callable[..., Customer],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """R11 (frozen clock: every step passes `now`)."""
    start = timezone.now() - 40 * DAY
    dsr = customer_request(make_customer(email="ada@example.com"), now=start, received_at=start)
    with django_capture_on_commit_callbacks(execute=True):
        dsr = dsr_pause(dsr=dsr, question="Which account?", actor=OFFICER, now=start + 10 * DAY)
    assert dsr.status == Status.AWAITING_CLARIFICATION
    assert mail.outbox[-1].to == ["ada@example.com"]
    assert "Which account?" in str(mail.outbox[-1].body)
    assert dsr.clock.time_left(now=start + 30 * DAY) == 18 * DAY
    dsr = dsr_resume(dsr=dsr, note="The shop account.", actor=OFFICER, now=start + 30 * DAY)
    assert dsr.status == Status.IN_PROGRESS and dsr.paused_total == 20 * DAY
    assert dsr.clock.due_at(now=start + 31 * DAY) == start + 48 * DAY
    assert kinds(dsr) == ["opened", "verified", "paused", "resumed"]
    with pytest.raises(
        ValidationError, match="Cannot resume the clock: the request is in progress"
    ):
        dsr_resume(dsr=dsr, note="again", actor=OFFICER)


@pytest.mark.django_db
def test_an_extension_is_recorded_with_its_reason_and_told_to_the_person(
    make_customer: Callable[..., Customer],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """R11: Art. 12(3), within the first period, the reason recorded and sent."""
    start = timezone.now() - 10 * DAY
    dsr = customer_request(make_customer(email="ada@example.com"), now=start, received_at=start)
    with django_capture_on_commit_callbacks(execute=True):
        dsr = dsr_extend(
            dsr=dsr, months=2, reason="Many systems to search.", actor=OFFICER, now=start + DAY
        )
    assert dsr.extension_months == 2
    assert "Many systems to search." in str(mail.outbox[-1].body)
    assert "2 months" in str(mail.outbox[-1].body)
    event = DsrEvent.objects.get(request=dsr, kind="extended")
    assert "Many systems to search." in event.note and "emailed to the person" in event.note
    with pytest.raises(ValidationError) as caught:
        dsr_extend(dsr=dsr, months=1, reason="More", actor=OFFICER, now=start + 2 * DAY)
    assert "2 further months at most" in caught.value.message_dict["months"][0]


@pytest.mark.django_db
def test_an_extension_after_the_first_period_is_refused_and_changes_nothing(
    make_customer: Callable[..., Customer],
) -> None:
    start = timezone.now() - 40 * DAY
    dsr = customer_request(make_customer(), now=start, received_at=start)
    with pytest.raises(ValidationError) as caught:
        dsr_extend(dsr=dsr, months=1, reason="Too late", actor=OFFICER)
    assert "within the first period" in caught.value.message_dict["months"][0]
    dsr.refresh_from_db()
    assert dsr.extension_months == 0 and "extended" not in kinds(dsr)
    with pytest.raises(ValidationError) as caught:
        dsr_extend(dsr=dsr, months=3, reason="x", actor=OFFICER)
    assert "months" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        dsr_extend(dsr=dsr, months=1, reason="", actor=OFFICER)
    assert "reason" in caught.value.message_dict


@pytest.mark.django_db
def test_refusing_a_manifestly_excessive_request_sends_the_reason_and_the_right_to_complain(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """R13, Art. 12(4)."""
    dsr = emailed_request()
    with django_capture_on_commit_callbacks(execute=True):
        dsr = dsr_decide(
            dsr=dsr,
            manifestly="excessive",
            decision="refuse",
            reason="The fourth identical request this month.",
            actor=OFFICER,
        )
    assert dsr.status == Status.REFUSED and dsr.closed_at is not None
    assert dsr.manifestly == "excessive" and dsr.decision_reason.startswith("The fourth")
    body = str(mail.outbox[-1].body)
    assert mail.outbox[-1].to == ["grace@example.org"]
    assert "The fourth identical request this month." in body
    assert "Information Commissioner" in body and "303 123 1113" in body
    assert kinds(dsr)[-1] == "decided"
    with pytest.raises(ValidationError, match="Cannot refuse: the request is refused"):
        dsr_decide(dsr=dsr, manifestly="excessive", decision="refuse", reason="x", actor=OFFICER)


@pytest.mark.django_db
def test_a_fee_pauses_the_clock_until_it_is_paid(
    make_customer: Callable[..., Customer],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    start = timezone.now() - 5 * DAY
    dsr = customer_request(make_customer(), now=start, received_at=start)
    with pytest.raises(ValidationError) as caught:
        dsr_decide(dsr=dsr, manifestly="excessive", decision="fee", reason="x", actor=OFFICER)
    assert "fee_pence" in caught.value.message_dict
    with django_capture_on_commit_callbacks(execute=True):
        dsr = dsr_decide(
            dsr=dsr,
            manifestly="excessive",
            decision="fee",
            fee_pence=2500,
            reason="A copy of ten years of records again.",
            actor=OFFICER,
            now=start + DAY,
        )
    assert dsr.status == Status.FEE_REQUESTED and dsr.fee_text == "£25.00"
    assert "£25.00" in str(mail.outbox[-1].body)
    assert dsr.clock.time_left(now=start + 20 * DAY) == 27 * DAY
    dsr = dsr_resume(dsr=dsr, note="Fee paid.", actor=OFFICER, now=start + 20 * DAY)
    assert dsr.status == Status.IN_PROGRESS and dsr.paused_total == 19 * DAY


@pytest.mark.django_db
def test_only_a_verified_request_can_be_completed(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """R12: nothing is answered before the identity is confirmed."""
    dsr = emailed_request(kind="rectification", details="My name is misspelt.")
    with pytest.raises(ValidationError, match="awaiting identity verification"):
        dsr_complete(dsr=dsr, outcome="Corrected.", actor=OFFICER)
    dsr = dsr_verify(dsr=dsr, method="staff_check", note="Matched the order number", actor=OFFICER)
    with pytest.raises(ValidationError) as caught:
        dsr_complete(dsr=dsr, outcome="", actor=OFFICER)
    assert "outcome" in caught.value.message_dict
    with django_capture_on_commit_callbacks(execute=True):
        dsr = dsr_complete(dsr=dsr, outcome="Corrected the spelling.", actor=OFFICER)
    assert dsr.status == Status.DONE and dsr.outcome_note == "Corrected the spelling."
    assert "Corrected the spelling." in str(mail.outbox[-1].body)
    assert not dsr.clock.is_overdue(now=timezone.now() + 100 * DAY)  # answered, and on time


@pytest.mark.django_db
def test_the_history_is_append_only() -> None:
    dsr = emailed_request()
    event = DsrEvent.objects.filter(request=dsr).first()
    assert event is not None
    event.note = "rewritten"
    with pytest.raises(TypeError, match="append-only"):
        event.save()
    with pytest.raises(TypeError, match="append-only"):
        event.delete()
    with pytest.raises(TypeError, match="append-only"):
        DsrEvent.objects.filter(request=dsr).update(note="")
    with pytest.raises(TypeError, match="append-only"):
        DsrEvent.objects.filter(request=dsr).delete()
    assert DsrEvent.objects.get(pk=event.pk).note == "Received by Email"
