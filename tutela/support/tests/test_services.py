"""The application services on their own: status rules, the reply email, the access log and
crypto-shredding (R6, R7, R42)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings

from tutela.audit.api import AccessEvent, Actor
from tutela.crypto.api import ERASED, ERASED_BYTES, KeyClass, subject_shred
from tutela.customers.models import Customer
from tutela.support.attachments import Upload
from tutela.support.models import Application, Attachment, Message
from tutela.support.selectors import queue
from tutela.support.services import (
    application_close,
    application_open,
    application_reply,
    application_staff_reply,
    application_status_set,
)
from tutela.support.tests import files

SAM = Actor.staff(id=7, first_name="Sam", role="support")


def open_for(customer: Customer, **overrides: Any) -> Application:
    values: dict[str, Any] = {
        "subject_line": "Label printer jams",
        "body": "Every third label jams since the update.",
    }
    values.update(overrides)
    return application_open(customer=customer, actor=Actor.customer(id=customer.user.pk), **values)


@pytest.mark.django_db
@override_settings(TUTELA_BASE_URL="https://portal.c-mes.example")
def test_a_staff_reply_emails_the_customer_a_link_but_never_the_content(
    make_customer: Callable[..., Customer],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    customer = make_customer(email="ada@example.com")
    application = open_for(customer)
    with django_capture_on_commit_callbacks(execute=True):
        message = application_staff_reply(
            application=application,
            body="Please update the driver to 4.2; that fixes the jams.",
            actor=SAM,
        )
    assert message.author == Message.Author.STAFF and message.staff_label == "Sam (support)"
    assert application.status == Application.Status.ANSWERED
    [email] = mail.outbox
    assert email.to == ["ada@example.com"]
    assert application.reference in email.subject
    link = f"https://portal.c-mes.example/applications/{application.pk}/"
    assert link in email.body
    for secret in ("driver", "4.2", "Label printer", "jams"):
        assert secret not in email.body and secret not in email.subject


@pytest.mark.django_db
def test_no_email_leaves_before_the_reply_is_committed(
    make_customer: Callable[..., Customer],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """A reply rolled back must not have been announced: the email waits for the commit."""
    application = open_for(make_customer())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        application_staff_reply(application=application, body="Fixed.", actor=SAM)
    assert mail.outbox == []
    for callback in callbacks:  # the commit
        callback()
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_staff_writes_are_access_logged_and_customer_writes_are_not(
    make_customer: Callable[..., Customer],
) -> None:
    """R7: staff, jobs and the API are logged; the customer writing their own data is not."""
    customer = make_customer()
    application = open_for(customer)
    application_reply(
        application=application,
        customer=customer,
        body="Still jamming.",
        actor=Actor.customer(id=customer.user.pk),
    )
    assert not AccessEvent.objects.exists()
    application_staff_reply(
        application=application,
        body="Which model is it?",
        status=Application.Status.WAITING_FOR_CUSTOMER,
        actor=SAM,
    )
    application_status_set(application=application, status="closed", actor=SAM)
    reply, status = AccessEvent.objects.order_by("sequence")
    assert (reply.action, reply.actor_label, str(reply.subject)) == (
        "create",
        "Sam (support)",
        str(customer.subject_id),
    )
    assert reply.category_keys == ["correspondence"] and reply.purpose == "respond_to_requests"
    assert application.reference in reply.detail
    assert status.action == "change" and "waiting_for_customer -> closed" in status.detail


@pytest.mark.django_db
def test_status_rules(make_customer: Callable[..., Customer]) -> None:
    """Open until we answer; the customer's reply reopens; closing records when; unknown
    statuses are refused by name."""
    customer = make_customer()
    application = open_for(customer)
    assert application.status == Application.Status.OPEN and application.closed_at is None
    application_staff_reply(application=application, body="Done.", status="closed", actor=SAM)
    assert application.status == Application.Status.CLOSED and application.closed_at is not None
    application_reply(application=application, customer=customer, body="Not done.", actor=SAM)
    assert application.status == Application.Status.OPEN and application.closed_at is None
    assert application_close(application=application, customer=customer, actor=SAM)
    assert not application_close(application=application, customer=customer, actor=SAM)
    with pytest.raises(ValidationError) as caught:
        application_status_set(application=application, status="resolved", actor=SAM)
    assert list(caught.value.message_dict) == ["status"]
    with pytest.raises(ValidationError) as caught:
        application_staff_reply(application=application, body="Hi", status="open", actor=SAM)
    assert list(caught.value.message_dict) == ["status"]
    assert Message.objects.count() == 3


@pytest.mark.django_db
def test_a_customer_cannot_write_on_another_customers_application(
    make_customer: Callable[..., Customer],
) -> None:
    owner, other = make_customer(), make_customer()
    application = open_for(owner)
    with pytest.raises(PermissionDenied):
        application_reply(
            application=application, customer=other, body="Mine now", actor=Actor.customer(id=1)
        )
    with pytest.raises(PermissionDenied):
        application_close(application=application, customer=other, actor=Actor.customer(id=1))
    assert Message.objects.count() == 1


@pytest.mark.django_db
def test_the_queue_puts_open_first_then_the_longest_waiting(
    make_customer: Callable[..., Customer],
) -> None:
    customer = make_customer()
    first, second, answered = (open_for(customer, subject_line=f"Q{n}") for n in range(3))
    application_staff_reply(application=answered, body="Done", actor=SAM)
    application_reply(application=first, customer=customer, body="Any news?", actor=SAM)
    ordered = list(queue(Application.Status.values))
    # `first` waited less than `second` once its customer wrote again.
    assert ordered == [second, first, answered]


@pytest.mark.django_db
def test_shredding_the_support_key_makes_every_part_unreadable(
    make_customer: Callable[..., Customer],
) -> None:
    """R42: text, file names and file bytes all fall to the customer's support key."""
    customer = make_customer()
    application = open_for(customer, attachments=[Upload("scan.pdf", files.PDF)])
    subject_shred(
        subject=customer.subject_id,
        key_classes=[KeyClass.SUPPORT],
        actor_label="test",
        reason="erasure request",
    )
    application = Application.objects.get(pk=application.pk)
    message = Message.objects.get()
    attachment = Attachment.objects.get()
    assert application.subject_line == ERASED and message.body == ERASED
    assert attachment.filename == ERASED and attachment.content == ERASED_BYTES
    # The customer's account data has its own key and is untouched.
    assert Customer.objects.get(pk=customer.pk).full_name == "Ada Lovelace"


class _BrokenMailServer:
    """An email backend whose server is down."""

    def __init__(self, **kwargs: Any) -> None:
        pass

    def send_messages(self, messages: Any) -> int:
        raise ConnectionRefusedError("mail server down")


@pytest.mark.django_db
@override_settings(EMAIL_BACKEND=f"{__name__}._BrokenMailServer")
def test_a_mail_server_that_is_down_does_not_lose_the_reply(
    make_customer: Callable[..., Customer],
    django_capture_on_commit_callbacks: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The reply is stored and shown in the account; the failed email is logged."""
    application = open_for(make_customer())
    with django_capture_on_commit_callbacks(execute=True):
        application_staff_reply(application=application, body="Fixed.", actor=SAM)
    assert Message.objects.filter(author=Message.Author.STAFF).count() == 1
    assert "mail server down" in caplog.text


@pytest.mark.django_db
def test_the_service_itself_refuses_a_disguised_file_and_stores_nothing(
    make_customer: Callable[..., Customer],
) -> None:
    """R40: any caller (a view, a task, the API) gets the content check, not only the form."""
    customer = make_customer()
    with pytest.raises(ValidationError) as caught:
        open_for(customer, body="", attachments=[Upload("report.pdf", files.EXE)])
    assert set(caught.value.message_dict) == {"body", "attachments"}
    assert "\u201creport.pdf\u201d is not a file type we accept" in " ".join(
        caught.value.message_dict["attachments"]
    )
    assert not Application.objects.exists() and not Message.objects.exists()
    assert not Attachment.objects.exists()
