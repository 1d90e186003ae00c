"""Support answers applications from a queue; every read and write is in the access log; no
other role gets in (R7, R8, R38, R40)."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tutela.accounts.models import User
from tutela.audit.api import AccessEvent, Actor
from tutela.customers.models import Customer
from tutela.support.attachments import Upload
from tutela.support.models import Application, Attachment, Message
from tutela.support.services import application_open
from tutela.support.tests import files

QUEUE = "/staff/applications/"


def make_application(customer: Customer, **overrides: Any) -> Application:
    values: dict[str, Any] = {
        "subject_line": "Invoice 1042 shows the wrong address",
        "body": "Our invoice is addressed to our old office.",
        "attachments": [Upload("old-invoice.pdf", files.PDF)],
    }
    values.update(overrides)
    return application_open(customer=customer, actor=Actor.customer(id=customer.user.pk), **values)


def paths(application: Application) -> dict[str, tuple[str, str]]:
    """Every staff application page: name -> (method, path)."""
    attachment = Attachment.objects.filter(message__application=application).first()
    base = f"{QUEUE}{application.pk}/"
    return {
        "queue": ("get", QUEUE),
        "thread": ("get", base),
        "reply": ("post", base + "reply/"),
        "status": ("post", base + "status/"),
        "attachment": ("get", f"{base}attachments/{attachment.pk if attachment else ''}/"),
    }


def call(client: Client, method: str, path: str) -> int:
    if method == "post":
        return client.post(path, {"body": "Hello", "status": "closed"}).status_code
    return client.get(path).status_code


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["privacy_officer", "marketing", "finance"])
def test_other_roles_cannot_see_or_answer_applications(
    client: Client,
    make_customer: Callable[..., Customer],
    make_staff: Callable[..., User],
    role: str,
) -> None:
    """R8: least privilege. Only support answers applications; a rights request that arrives
    as an application is passed on by support, so the privacy officer needs no access here."""
    application = make_application(make_customer())
    client.force_login(make_staff(role=role))
    for name, (method, path) in paths(application).items():
        assert call(client, method, path) == 403, name
    assert not AccessEvent.objects.exists()
    assert Message.objects.count() == 1
    application.refresh_from_db()
    assert application.status == Application.Status.OPEN


@pytest.mark.django_db
def test_customers_cannot_reach_the_staff_pages_even_for_their_own_application(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer()
    application = make_application(customer)
    client.force_login(customer.user)
    for name, (method, path) in paths(application).items():
        assert call(client, method, path) == 403, name
    assert Message.objects.count() == 1


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_staff_sign_in(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    application = make_application(make_customer())
    for name, (method, path) in paths(application).items():
        response = client.post(path) if method == "post" else client.get(path)
        assert response.status_code == 302, name
        assert response["Location"].startswith("/staff/login/"), name


@pytest.mark.django_db
def test_support_sees_the_queue_open_first_and_each_read_is_logged(
    client: Client, make_customer: Callable[..., Customer], make_staff: Callable[..., User]
) -> None:
    """R7: the queue page records one read per subject shown (subject lines: correspondence)."""
    ada, grace = make_customer(), make_customer(full_name="Grace Hopper")
    older = make_application(ada, subject_line="Printer jams")
    newer = make_application(grace, subject_line="Wrong VAT number")
    closed = make_application(ada, subject_line="Old question")
    closed.status = Application.Status.CLOSED
    closed.save(update_fields=["status"])
    client.force_login(make_staff(role="support", name="Sam"))

    page = client.get(QUEUE).content.decode()
    assert page.index("Printer jams") < page.index("Wrong VAT number")
    assert "Old question" not in page
    assert "Old question" in client.get(QUEUE + "?show=closed").content.decode()
    events = AccessEvent.objects.filter(detail="application queue")
    assert {str(e.subject) for e in events} >= {str(older.subject_id), str(newer.subject_id)}
    for event in events:
        assert event.category_keys == ["correspondence"]
        assert event.purpose == "respond_to_requests" and event.actor_label == "Sam (support)"


@pytest.mark.django_db
def test_support_reads_the_thread_and_downloads_a_file_and_both_are_logged(
    client: Client, make_customer: Callable[..., Customer], make_staff: Callable[..., User]
) -> None:
    customer = make_customer()
    application = make_application(customer)
    client.force_login(make_staff(role="support"))
    page = client.get(f"{QUEUE}{application.pk}/").content.decode()
    assert "addressed to our old office" in page and "old-invoice.pdf" in page
    read = AccessEvent.objects.get(detail=f"application {application.reference}")
    assert str(read.subject) == str(customer.subject_id) and read.action == "read"

    attachment = Attachment.objects.get()
    response = client.get(f"{QUEUE}{application.pk}/attachments/{attachment.pk}/")
    assert response.content == files.PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="old-invoice.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    download = AccessEvent.objects.get(detail=f"attachment of application {application.reference}")
    assert download.category_keys == ["correspondence"] and str(download.subject) == str(
        customer.subject_id
    )


@pytest.mark.django_db
def test_support_replies_the_customer_is_emailed_and_reads_the_reply(
    client: Client,
    make_customer: Callable[..., Customer],
    make_staff: Callable[..., User],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    customer = make_customer(email="ada@example.com")
    application = make_application(customer)
    staff = Client()
    staff.force_login(make_staff(role="support", name="Sam"))
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            f"{QUEUE}{application.pk}/reply/",
            {
                "body": "We have corrected the address and reissued the invoice.",
                "status": "answered",
                "attachments": [files.upload("invoice-1042.pdf", files.PDF)],
            },
        )
    assert response.status_code == 302 and response["Location"] == QUEUE
    application.refresh_from_db()
    assert application.status == Application.Status.ANSWERED
    assert AccessEvent.objects.filter(action="create", actor_label="Sam (support)").count() == 1
    [email] = mail.outbox
    assert email.to == ["ada@example.com"] and "reissued" not in email.body

    client.force_login(customer.user)
    page = client.get(f"/applications/{application.pk}/").content.decode()
    assert "Sam (support)" in page and "reissued the invoice" in page
    assert "invoice-1042.pdf" in page and "Answered" in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"body": "", "status": "answered"}, "body", "Write your message."),
        ({"body": "Done", "status": "open"}, "status", "Select a valid choice."),
        (
            {
                "body": "See attached",
                "status": "answered",
                "attachments": [files.upload("fix.pdf", files.EXE)],
            },
            "attachments",
            "\u201cfix.pdf\u201d is not a file type we accept",
        ),
    ],
)
def test_a_bad_staff_reply_is_refused_on_its_field_and_nothing_is_stored_or_sent(
    client: Client,
    make_customer: Callable[..., Customer],
    make_staff: Callable[..., User],
    django_capture_on_commit_callbacks: Callable[..., Any],
    data: dict[str, Any],
    field: str,
    message: str,
) -> None:
    application = make_application(make_customer())
    client.force_login(make_staff(role="support"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{QUEUE}{application.pk}/reply/", data)
    assert response.status_code == 200
    errors = response.context["reply_form"].errors
    assert list(errors) == [field] and message in " ".join(errors[field])
    assert Message.objects.count() == 1 and Attachment.objects.count() == 1
    assert mail.outbox == []
    assert not AccessEvent.objects.filter(action="create").exists()


@pytest.mark.django_db
def test_support_changes_the_status_and_the_change_is_logged(
    client: Client, make_customer: Callable[..., Customer], make_staff: Callable[..., User]
) -> None:
    application = make_application(make_customer())
    client.force_login(make_staff(role="support"))
    response = client.post(f"{QUEUE}{application.pk}/status/", {"status": "closed"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == Application.Status.CLOSED and application.closed_at
    event = AccessEvent.objects.get(action="change")
    assert "open -> closed" in event.detail
    assert mail.outbox == []


@pytest.mark.django_db
def test_an_unknown_application_or_file_is_a_404_for_support(
    client: Client, make_customer: Callable[..., Customer], make_staff: Callable[..., User]
) -> None:
    application = make_application(make_customer())
    other = make_application(make_customer(), attachments=[Upload("x.txt", files.TEXT)])
    foreign_file = Attachment.objects.get(message__application=other)
    client.force_login(make_staff(role="support"))
    unknown = "00000000-0000-4000-8000-000000000000"
    assert client.get(f"{QUEUE}{unknown}/").status_code == 404
    assert client.post(f"{QUEUE}{unknown}/reply/", {"body": "Hi"}).status_code == 404
    # A file id under the wrong application is unknown there.
    path = f"{QUEUE}{application.pk}/attachments/{foreign_file.pk}/"
    assert client.get(path).status_code == 404


@pytest.mark.django_db
def test_the_console_links_support_to_the_queue_and_no_one_else(
    client: Client, make_staff: Callable[..., User]
) -> None:
    client.force_login(make_staff(role="support"))
    assert f'href="{QUEUE}"' in client.get("/staff/").content.decode()
    for role in ("privacy_officer", "marketing", "finance"):
        client.force_login(make_staff(role=role))
        assert f'href="{QUEUE}"' not in client.get("/staff/").content.decode()


@pytest.mark.django_db
def test_the_demo_has_one_open_application_with_a_reply_from_support(settings: Any) -> None:
    """tutela_demo (run by bin/serve on every start) creates it once, through the services."""
    settings.DEBUG = True
    first, second = StringIO(), StringIO()
    call_command("tutela_demo", stdout=first)
    call_command("tutela_demo", stdout=second)
    assert "Demo application: opened" in first.getvalue()
    assert "Demo application" not in second.getvalue()
    application = Application.objects.get()
    assert application.status == Application.Status.WAITING_FOR_CUSTOMER
    customer_message, reply = Message.objects.order_by("created_at")
    assert customer_message.author == Message.Author.CUSTOMER
    assert customer_message.attachments.get().content_type == "text/plain"
    assert reply.author == Message.Author.STAFF and reply.staff_label == "Sam (support)"


@pytest.mark.django_db
def test_the_queue_costs_the_same_queries_however_many_customers_it_shows(
    client: Client, make_customer: Callable[..., Customer], make_staff: Callable[..., User]
) -> None:
    """No query per row: keys are opened and reads logged in batches."""
    make_application(make_customer())
    make_application(make_customer())
    client.force_login(make_staff(role="support"))
    client.get(QUEUE)
    with CaptureQueriesContext(connection) as few:
        client.get(QUEUE)
    for _ in range(4):
        make_application(make_customer())
    with CaptureQueriesContext(connection) as many:
        page = client.get(QUEUE).content.decode()
    assert page.count("Invoice 1042 shows the wrong address") == 6
    assert len(many.captured_queries) == len(few.captured_queries)
