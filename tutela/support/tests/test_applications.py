"""Applications in the personal account ("Existing customers can contact us by creating an
application through their personal account"): open, list, read, reply, close, download;
isolation and bad input (R6, R38, R40)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.db.models import Model
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from tutela.accounts.models import User
from tutela.audit.api import AccessEvent
from tutela.customers.models import Customer
from tutela.support.models import Application, Attachment, Message
from tutela.support.tests import files

LIST = "/applications/"
NEW = "/applications/new/"


def stored(model: type[Model], column: str) -> list[bytes]:
    """The raw column as the database holds it (the table and column names are ours)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {model._meta.db_table}")  # noqa: S608
        return [bytes(row[0]) for row in cursor.fetchall()]


def open_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "subject_line": "Invoice 1042 shows the wrong address",
        "body": "Our invoice for March is addressed to our old office in Leeds.",
    }
    data.update(overrides)
    return data


def nothing_stored() -> bool:
    return not (
        Application.objects.exists() or Message.objects.exists() or Attachment.objects.exists()
    )


@pytest.fixture
def customer_client(client: Client, make_customer: Callable[..., Customer]) -> Client:
    client.force_login(make_customer().user)
    return client


@pytest.mark.django_db
def test_a_customer_opens_an_application_with_a_file_and_sees_it_in_their_list(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    """Stored under the customer's subject, encrypted at rest (text, name and file bytes)."""
    customer = make_customer()
    client.force_login(customer.user)
    response = client.post(
        NEW, open_data(attachments=[files.upload("scan-ada.pdf", files.PDF, "image/png")])
    )
    application = Application.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/applications/{application.pk}/"
    assert application.customer == customer and application.subject_id == customer.subject_id
    assert application.status == Application.Status.OPEN
    assert application.reference.startswith("A-") and len(application.reference) == 11
    message = Message.objects.get()
    assert message.author == Message.Author.CUSTOMER and message.subject_id == customer.subject_id
    attachment = Attachment.objects.get()
    # The browser claimed image/png; the content says PDF, and the content wins.
    assert attachment.content_type == "application/pdf" and attachment.size == len(files.PDF)

    listing = client.get(LIST).content.decode()
    assert "Invoice 1042 shows the wrong address" in listing and application.reference in listing
    detail = client.get(f"/applications/{application.pk}/").content.decode()
    assert "addressed to our old office" in detail and "scan-ada.pdf" in detail

    assert all(b"Invoice 1042" not in value for value in stored(Application, "subject_line"))
    assert all(b"old office" not in value for value in stored(Message, "body"))
    assert all(b"scan-ada" not in value for value in stored(Attachment, "filename"))
    assert all(b"%PDF" not in value for value in stored(Attachment, "content"))
    # The customer's own writing is not a third-party access (R7 logs staff, jobs, API).
    assert not AccessEvent.objects.exists()


@pytest.mark.django_db
def test_the_customer_downloads_their_own_file_as_an_attachment_that_is_not_sniffed(
    customer_client: Client,
) -> None:
    customer_client.post(NEW, open_data(attachments=[files.upload("notes.txt", files.TEXT)]))
    attachment = Attachment.objects.select_related("message").get()
    response = customer_client.get(
        f"/applications/{attachment.message.application_id}/attachments/{attachment.pk}/"
    )
    assert response.status_code == 200
    assert response.content == files.TEXT
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="notes.txt"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_another_customer_cannot_see_reply_to_close_or_download(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    """R38: every page of another's application is a 404, and nothing changes."""
    owner, other = make_customer(), make_customer()
    client.force_login(owner.user)
    client.post(NEW, open_data(attachments=[files.upload("a.png", files.PNG)]))
    application = Application.objects.get()
    attachment = Attachment.objects.get()
    base = f"/applications/{application.pk}/"

    client.force_login(other.user)
    assert "Invoice 1042" not in client.get(LIST).content.decode()
    assert client.get(base).status_code == 404
    assert client.post(base + "reply/", {"body": "Hijack"}).status_code == 404
    assert client.post(base + "close/").status_code == 404
    assert client.get(f"{base}attachments/{attachment.pk}/").status_code == 404
    assert Message.objects.count() == 1
    application.refresh_from_db()
    assert application.status == Application.Status.OPEN


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in_and_staff_are_refused(client: Client) -> None:
    """R38: applications are for customers; a staff identity has no personal account."""
    for path in (LIST, NEW):
        assert client.get(path)["Location"].startswith("/accounts/login/")
    client.force_login(User.objects.create_user(email="sam@c-mes.example", is_staff=True))
    assert client.get(LIST).status_code == 403
    assert client.post(NEW, open_data()).status_code == 403
    assert nothing_stored()


@pytest.mark.django_db
def test_a_reply_reopens_the_application_and_closing_it_is_recorded(
    customer_client: Client,
) -> None:
    """Retention of correspondence runs from closing; a reply reopens (and clears that)."""
    customer_client.post(NEW, open_data())
    application = Application.objects.get()
    base = f"/applications/{application.pk}/"

    assert customer_client.post(base + "close/").status_code == 302
    application.refresh_from_db()
    assert application.status == Application.Status.CLOSED and application.closed_at is not None
    assert "Replying opens it again" in customer_client.get(base).content.decode()

    response = customer_client.post(
        base + "reply/", {"body": "One more thing: the VAT number is missing too."}
    )
    assert response.status_code == 302 and response["Location"] == base
    application.refresh_from_db()
    assert application.status == Application.Status.OPEN and application.closed_at is None
    bodies = [m.body for m in Message.objects.order_by("created_at")]
    assert bodies[-1] == "One more thing: the VAT number is missing too."
    assert "VAT number is missing" in customer_client.get(base).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "data", "message"),
    [
        ("subject_line", {"subject_line": ""}, "Say in a few words what your application is"),
        ("subject_line", {"subject_line": "x" * 151}, "at most 150 characters"),
        ("body", {"body": ""}, "Write your message."),
        ("body", {"body": "   "}, "Write your message."),
        ("body", {"body": "x" * 10_001}, "at most 10000 characters"),
        ("body", {"body": "broken\x00text"}, "Null characters are not allowed."),
        ("body", {"body": "ding\x07dong"}, "Remove the control characters from this text."),
        ("subject_line", {"subject_line": "esc\x1b[31m"}, "Remove the control characters"),
        (
            "attachments",
            {"attachments": [files.upload("invoice.pdf", files.EXE, "application/pdf")]},
            "\u201cinvoice.pdf\u201d is not a file type we accept",
        ),
        (
            "attachments",
            {"attachments": [files.upload("photo.jpg", files.PNG, "image/jpeg")]},
            "\u201cphoto.jpg\u201d is a PNG image, but its name does not end in .png",
        ),
        (
            "attachments",
            {"attachments": [files.upload("empty.txt", b"")]},
            "\u201cempty.txt\u201d is empty.",
        ),
        (
            "attachments",
            {"attachments": [files.upload(f"{n}.txt", files.TEXT) for n in range(4)]},
            "Attach at most 3 files to one message (you chose 4).",
        ),
    ],
)
def test_bad_input_is_refused_with_a_message_on_the_field_and_nothing_stored(
    customer_client: Client, field: str, data: dict[str, Any], message: str
) -> None:
    """R40: the error is on the field it concerns (shown next to it) and says why."""
    response = customer_client.post(NEW, open_data(**data))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert message in " ".join(errors[field])
    assert escape(message) in response.content.decode()  # shown on the page, next to the field
    assert nothing_stored()


@pytest.mark.django_db
def test_a_file_too_big_is_refused_before_it_is_read_and_nothing_stored(
    customer_client: Client,
) -> None:
    """R40: the limit (TUTELA_ATTACHMENT_MAX_BYTES, 5 MiB by default) is checked on the size."""
    big = files.upload("scan.pdf", files.PDF + b"0" * (5 * 1024 * 1024))
    response = customer_client.post(NEW, open_data(attachments=[big]))
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "attachments": ["\u201cscan.pdf\u201d is 5.0\xa0MB; each file may be at most 5.0\xa0MB."]
    }
    assert nothing_stored()


@pytest.mark.django_db
@override_settings(TUTELA_ATTACHMENT_MAX_BYTES=1000)
def test_a_bad_reply_is_refused_and_leaves_the_thread_as_it_was(customer_client: Client) -> None:
    customer_client.post(NEW, open_data())
    application = Application.objects.get()
    customer_client.post(f"/applications/{application.pk}/close/")
    response = customer_client.post(
        f"/applications/{application.pk}/reply/",
        {"body": "", "attachments": [files.upload("big.txt", b"y" * 1001)]},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"body", "attachments"}
    assert Message.objects.count() == 1 and not Attachment.objects.exists()
    application.refresh_from_db()
    assert application.status == Application.Status.CLOSED


@pytest.mark.django_db
def test_opening_and_replying_are_rate_limited_per_customer(customer_client: Client) -> None:
    """R4/R40: messages carry files kept in the database; the 21st in an hour is refused."""
    for n in range(20):
        response = customer_client.post(NEW, open_data(subject_line=f"Question {n}"))
        assert response.status_code == 302
    assert customer_client.post(NEW, open_data(subject_line="One too many")).status_code == 429
    application = Application.objects.first()
    assert application is not None
    reply = customer_client.post(f"/applications/{application.pk}/reply/", {"body": "And?"})
    assert reply.status_code == 429  # one budget for opening and replying
    assert Application.objects.count() == 20 and Message.objects.count() == 20


@pytest.mark.django_db
def test_reading_a_thread_costs_the_same_queries_however_long_it_is(
    customer_client: Client,
) -> None:
    """No query per message or per file on the thread page."""
    customer_client.post(NEW, open_data(attachments=[files.upload("a.txt", files.TEXT)]))
    application = Application.objects.get()
    path = f"/applications/{application.pk}/"
    customer_client.get(path)  # warm the session and key caches
    with CaptureQueriesContext(connection) as short:
        customer_client.get(path)
    for n in range(5):
        customer_client.post(
            path + "reply/",
            {"body": f"Reply {n}", "attachments": [files.upload(f"{n}.txt", files.TEXT)]},
        )
    with CaptureQueriesContext(connection) as long:
        page = customer_client.get(path).content.decode()
    assert "Reply 4" in page and "4.txt" in page
    assert len(long.captured_queries) == len(short.captured_queries)


@pytest.mark.django_db
def test_markup_characters_are_kept_as_written_and_shown_escaped(customer_client: Client) -> None:
    """Correspondence quotes menus and error messages ("Settings > Print"); autoescaping, not
    refusal, keeps a <script> in a message from running (R39)."""
    body = "Settings > Print shows <script>alert(1)</script> & nothing else."
    customer_client.post(NEW, open_data(body=body))
    assert Message.objects.get().body == body
    application = Application.objects.get()
    page = customer_client.get(f"/applications/{application.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "Settings &gt; Print shows &lt;script&gt;alert(1)&lt;/script&gt; &amp; nothing" in page
