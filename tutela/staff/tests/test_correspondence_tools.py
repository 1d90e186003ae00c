"""Support keeps the history of emails and calls; every read is in the access log, other roles
are refused, bad input is refused with a clear message (R7, R8, R38, R40)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from io import BytesIO
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tutela.accounts.models import User
from tutela.audit.api import AccessEvent, Actor
from tutela.correspondence.mail import RawMessage
from tutela.correspondence.models import CallRecord, CallRecording, EmailRecord
from tutela.correspondence.services import call_record_create, email_record_create, emails_import
from tutela.correspondence.tests.factories import OGG, WAV, eml
from tutela.crypto import keystore
from tutela.customers.models import Customer

TEST_ACTOR = Actor.system("test")


def an_email(customer: Customer) -> EmailRecord:
    return email_record_create(
        customer=customer,
        direction="in",
        from_address=customer.user.email,
        to_addresses="feedback@c-mes.co.uk",
        subject_line="Where is my parcel",
        body="It was due on Monday. My card ends 1111.",
        sent_at=timezone.now() - timedelta(days=1),
        actor=TEST_ACTOR,
    )


def a_call(customer: Customer, recording: bytes | None = None) -> CallRecord:
    return call_record_create(
        customer=customer,
        occurred_at=timezone.now() - timedelta(hours=2),
        direction="out",
        duration_seconds=95,
        notes="Called back about the parcel.",
        recording=BytesIO(recording) if recording else None,
        actor=TEST_ACTOR,
    )


def unmatched_email() -> EmailRecord:
    emails_import(
        messages=[RawMessage("1.eml", data=eml(sender="someone@example.net"))], actor=TEST_ACTOR
    )
    return EmailRecord.objects.get(customer__isnull=True)


def staff_events(**filters: Any) -> list[AccessEvent]:
    return list(AccessEvent.objects.filter(actor_kind="staff", **filters))


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["privacy_officer", "marketing", "finance"])
def test_other_roles_cannot_see_or_record_correspondence(
    client: Client,
    make_customer: Callable[..., Customer],
    make_staff: Callable[..., User],
    role: str,
) -> None:
    """R8: least privilege; only support works with correspondence, on every page."""
    customer = make_customer()
    email, call, stray = an_email(customer), a_call(customer, WAV), unmatched_email()
    client.force_login(make_staff(role=role))
    pages = [
        f"/staff/customers/{customer.pk}/correspondence/",
        f"/staff/customers/{customer.pk}/correspondence/email/",
        f"/staff/customers/{customer.pk}/correspondence/call/",
        f"/staff/correspondence/emails/{email.pk}/",
        f"/staff/correspondence/calls/{call.pk}/",
        f"/staff/correspondence/calls/{call.pk}/recording/",
        "/staff/correspondence/unmatched/",
        f"/staff/correspondence/unmatched/{stray.pk}/file/",
    ]
    for page in pages:
        assert client.get(page).status_code == 403, page
    assert client.post(f"/staff/correspondence/unmatched/{stray.pk}/file/", {}).status_code == 403
    assert not staff_events()
    assert EmailRecord.objects.get(pk=stray.pk).is_unmatched


@pytest.mark.django_db
def test_customers_and_visitors_cannot_use_the_staff_tools(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer()
    page = f"/staff/customers/{customer.pk}/correspondence/"
    assert client.get(page).status_code == 302  # to the staff sign-in
    client.force_login(customer.user)
    assert client.get(page).status_code == 403


@pytest.mark.django_db
def test_support_lists_a_customer_s_correspondence_and_the_read_is_logged(
    client: Client, make_customer: Callable[..., Customer], make_staff: Callable[..., User]
) -> None:
    customer, other = make_customer(), make_customer()
    an_email(customer), a_call(customer, OGG), an_email(other)
    client.force_login(make_staff(role="support", name="Sam"))
    page = client.get(f"/staff/customers/{customer.pk}/correspondence/").content.decode()
    assert page.count("Where is my parcel") == 1 and "Called back about the parcel" in page
    assert "1:35" in page
    (event,) = staff_events(detail="correspondence list")
    assert str(event.subject) == str(customer.subject_id)
    assert event.actor_label == "Sam (support)" and event.purpose == "respond_to_requests"
    assert event.category_keys == ["contact_email", "correspondence", "name"]
    detail = client.get(f"/staff/customers/{customer.pk}/").content.decode()
    assert f"/staff/customers/{customer.pk}/correspondence/" in detail
    console = client.get("/staff/").content.decode()
    assert "/staff/correspondence/unmatched/" in console


@pytest.mark.django_db
def test_support_reads_one_email_with_its_findings_and_the_read_is_logged(
    client: Client, make_customer: Callable[..., Customer], make_staff: Callable[..., User]
) -> None:
    customer = make_customer()
    email = an_email(customer)
    client.force_login(make_staff(role="support"))
    page = client.get(f"/staff/correspondence/emails/{email.pk}/").content.decode()
    assert "It was due on Monday" in page
    (event,) = staff_events(detail="email")
    assert event.category_keys == ["contact_email", "correspondence"]
    assert (
        client.get("/staff/correspondence/emails/00000000-0000-0000-0000-000000000000/").status_code
        == 404
    )


@pytest.mark.django_db
def test_support_downloads_a_recording_and_the_read_is_logged(
    client: Client, make_customer: Callable[..., Customer], make_staff: Callable[..., User]
) -> None:
    customer = make_customer()
    call, plain = a_call(customer, WAV), a_call(customer)
    client.force_login(make_staff(role="support"))
    page = client.get(f"/staff/correspondence/calls/{call.pk}/").content.decode()
    assert f"/staff/correspondence/calls/{call.pk}/recording/" in page
    response = client.get(f"/staff/correspondence/calls/{call.pk}/recording/")
    assert response.status_code == 200 and response.content == WAV
    assert response["Content-Type"] == "audio/wav"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == "no-store"
    (event,) = staff_events(detail="call recording")
    assert event.category_keys == ["call_recordings"]
    assert client.get(f"/staff/correspondence/calls/{plain.pk}/recording/").status_code == 404


@pytest.mark.django_db
def test_support_records_an_email_through_the_form(
    client: Client, make_customer: Callable[..., Customer], make_staff: Callable[..., User]
) -> None:
    customer = make_customer()
    client.force_login(make_staff(role="support", name="Sam"))
    url = f"/staff/customers/{customer.pk}/correspondence/email/"
    response = client.post(
        url,
        {
            "direction": "out",
            "from_address": "feedback@c-mes.co.uk",
            "to_addresses": customer.user.email,
            "sent_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M"),
            "subject_line": "Refund",
            "body": "We refunded your order today.",
        },
    )
    assert response.status_code == 302
    record = EmailRecord.objects.get()
    assert record.customer == customer and record.recorded_by_label == "Sam (support)"
    (event,) = staff_events(action="create")
    assert str(event.subject) == str(customer.subject_id)


@pytest.mark.django_db
def test_a_bad_email_form_names_the_field_and_stores_nothing(
    client: Client, make_customer: Callable[..., Customer], make_staff: Callable[..., User]
) -> None:
    customer = make_customer()
    client.force_login(make_staff(role="support"))
    response = client.post(
        f"/staff/customers/{customer.pk}/correspondence/email/",
        {
            "direction": "in",
            "from_address": "ada@example.com",
            "to_addresses": "feedback@c-mes.co.uk, not an address",
            "sent_at": "2026-01-05 10:00",
            "body": "Hello",
        },
    )
    assert response.status_code == 200
    assert "is not a valid email address" in " ".join(
        response.context["form"].errors["to_addresses"]
    )
    assert not EmailRecord.objects.exists()


@pytest.mark.django_db
def test_support_records_a_call_with_a_recording_through_the_form(
    client: Client, make_customer: Callable[..., Customer], make_staff: Callable[..., User]
) -> None:
    customer = make_customer()
    client.force_login(make_staff(role="support", name="Sam"))
    response = client.post(
        f"/staff/customers/{customer.pk}/correspondence/call/",
        {
            "occurred_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M"),
            "direction": "in",
            "duration": "12:30",
            "notes": "Wants a paper invoice.",
            "recording": SimpleUploadedFile("call.mp3", WAV, content_type="audio/mpeg"),
        },
    )
    assert response.status_code == 302
    call = CallRecord.objects.get()
    assert call.duration_seconds == 750 and call.staff_label == "Sam (support)"
    # The format comes from the bytes, not from the name or the browser's content type.
    assert CallRecording.objects.get().content_type == "audio/wav"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"recording": SimpleUploadedFile("x.mp3", b"MZ\x90\x00 not audio")}, "recording", "WAV"),
        ({"duration": "soon"}, "duration", "valid duration"),
        ({"duration": "-1:00"}, "duration", "negative"),
        ({"duration": "25:00:00"}, "duration", "24 hours"),
        ({"occurred_at": "2999-01-01 10:00"}, "occurred_at", "future"),
        ({"notes": "tab ok\tbut NUL \x00 is not"}, "notes", "Null characters"),
    ],
)
def test_a_bad_call_form_names_the_field_and_stores_nothing(
    client: Client,
    make_customer: Callable[..., Customer],
    make_staff: Callable[..., User],
    change: dict[str, Any],
    field: str,
    message: str,
) -> None:
    customer = make_customer()
    client.force_login(make_staff(role="support"))
    data: dict[str, Any] = {
        "occurred_at": "2026-01-05 10:00",
        "direction": "in",
        "duration": "3:00",
        "notes": "",
    }
    data.update(change)
    response = client.post(f"/staff/customers/{customer.pk}/correspondence/call/", data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not CallRecord.objects.exists() and not CallRecording.objects.exists()


@pytest.mark.django_db
def test_support_lists_unmatched_mail_and_files_it_to_a_customer(
    client: Client, make_customer: Callable[..., Customer], make_staff: Callable[..., User]
) -> None:
    customer = make_customer(email="ada@example.com")
    stray = unmatched_email()
    client.force_login(make_staff(role="support"))
    listing = client.get("/staff/correspondence/unmatched/").content.decode()
    assert "someone@example.net" in listing and "My order" in listing
    (event,) = staff_events(detail="unmatched email list")
    assert str(event.subject) == str(stray.subject_id)
    url = f"/staff/correspondence/unmatched/{stray.pk}/file/"
    refused = client.post(url, {"customer_email": "nobody@example.com"})
    assert "No customer signs in with this address." in refused.content.decode()
    assert EmailRecord.objects.get().is_unmatched
    response = client.post(url, {"customer_email": "ADA@example.com"})
    assert response.status_code == 302
    filed = EmailRecord.objects.get()
    assert filed.customer == customer and "has not arrived" in filed.body
    assert client.get(url).status_code == 404  # filed: no longer unmatched
    assert (
        "someone@example.net" not in client.get("/staff/correspondence/unmatched/").content.decode()
    )


def import_strangers(numbers: range) -> None:
    emails_import(
        messages=[
            RawMessage(f"{n}.eml", data=eml(sender=f"s{n}@example.net", message_id=f"<{n}@x>"))
            for n in numbers
        ],
        actor=TEST_ACTOR,
    )


def key_loads(queries: CaptureQueriesContext) -> int:
    """How many times a page fetched data keys from the key store."""
    return sum(q["sql"].startswith('SELECT "crypto_datakey"."id"') for q in queries)


@pytest.mark.django_db
def test_the_unmatched_list_opens_all_its_keys_in_one_query(
    client: Client, make_staff: Callable[..., User]
) -> None:
    """No N+1: each message is its own subject, and the page opens all their keys at once."""
    client.force_login(make_staff(role="support"))
    import_strangers(range(2))
    keystore.reset()  # a cold key cache: every subject's key comes from the key store
    with CaptureQueriesContext(connection) as two:
        client.get("/staff/correspondence/unmatched/")
    import_strangers(range(2, 10))
    keystore.reset()
    with CaptureQueriesContext(connection) as ten:
        page = client.get("/staff/correspondence/unmatched/").content.decode()
    assert page.count("/file/") == 10
    assert key_loads(two) == key_loads(ten) == 1
