"""Emails and calls recorded by staff, filing unmatched mail, and the customer's read-only pages:
create, list, isolation, validation (R6, R7, R38, R40)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from io import BytesIO
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.utils import timezone

from tutela.accounts.models import User
from tutela.audit.api import AccessEvent, Actor
from tutela.correspondence import services
from tutela.correspondence.mail import RawMessage
from tutela.correspondence.models import CallRecord, CallRecording, EmailRecord
from tutela.correspondence.tests.factories import MP3, MP3_FRAME, OGG, WAV, eml
from tutela.crypto.api import subject_key_status
from tutela.customers.models import Customer

STAFF = Actor.staff(id=None, first_name="Sam", role="support")


def email_values(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "direction": "out",
        "from_address": "feedback@c-mes.co.uk",
        "to_addresses": "ada@example.com",
        "subject_line": "Your order",
        "body": "Dear Ada, your parcel left today. Tracking: https://parcels.example.com/123",
        "sent_at": timezone.now() - timedelta(hours=1),
    }
    values.update(overrides)
    return values


def call_values(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "occurred_at": timezone.now() - timedelta(minutes=30),
        "direction": "in",
        "duration_seconds": 754,
        "notes": "Asked to change the delivery address to NW1 5LR.",
    }
    values.update(overrides)
    return values


def raw(table: str, column: str) -> list[bytes]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table}")  # noqa: S608
        return [bytes(row[0]) for row in cursor.fetchall() if row[0] is not None]


@pytest.mark.django_db
def test_staff_record_an_email_encrypted_scanned_and_logged(
    make_customer: Callable[..., Customer],
) -> None:
    customer = make_customer()
    record = services.email_record_create(customer=customer, **email_values(), actor=STAFF)
    record = EmailRecord.objects.get(pk=record.pk)
    assert record.source == EmailRecord.Source.STAFF and record.recorded_by_label == "Sam (support)"
    assert record.message_id_bidx is None  # staff entries are not deduplicated
    assert [f["entity_type"] for f in record.findings["body"]] == ["URL"]
    assert all(b"parcel" not in value for value in raw("correspondence_emailrecord", "body"))
    event = AccessEvent.objects.get()
    assert event.action == "create" and str(event.subject) == str(customer.subject_id)
    assert event.category_keys == ["contact_email", "correspondence"]


BAD_EMAILS = [
    ({"direction": "sideways"}, "direction"),
    ({"from_address": "not-an-address"}, "from_address"),
    ({"to_addresses": "ada@example.com, nope"}, "to_addresses"),
    ({"body": ""}, "body"),
    ({"body": "x" * 100_001}, "body"),
    ({"body": "hello\x00world"}, "body"),
    ({"subject_line": "s" * 501}, "subject_line"),
    ({"sent_at": timezone.now() + timedelta(days=2)}, "sent_at"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "field"), BAD_EMAILS)
def test_a_bad_email_names_the_field_and_stores_nothing(
    make_customer: Callable[..., Customer], change: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        services.email_record_create(
            customer=make_customer(), **email_values(**change), actor=STAFF
        )
    assert field in refused.value.message_dict
    assert refused.value.message_dict[field][0]
    assert not EmailRecord.objects.exists() and not AccessEvent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("head", "kind"),
    [(WAV, "audio/wav"), (MP3, "audio/mpeg"), (MP3_FRAME, "audio/mpeg"), (OGG, "audio/ogg")],
)
def test_a_call_is_recorded_with_an_encrypted_recording_of_a_known_format(
    make_customer: Callable[..., Customer], head: bytes, kind: str
) -> None:
    customer = make_customer()
    call = services.call_record_create(
        customer=customer, **call_values(), recording=BytesIO(head), actor=STAFF
    )
    call = CallRecord.objects.get(pk=call.pk)
    assert call.staff_label == "Sam (support)" and call.duration_display == "12:34"
    assert [f["entity_type"] for f in call.findings["notes"]] == ["UK_POSTCODE"]
    recording = CallRecording.objects.get(call=call)
    assert recording.content_type == kind and recording.size == len(head)
    assert bytes(recording.audio) == head
    assert head not in b"".join(raw("correspondence_callrecording", "audio"))
    event = AccessEvent.objects.get()
    assert event.category_keys == ["call_recordings", "correspondence"]


@pytest.mark.django_db
def test_a_call_without_recording_or_notes_is_fine(make_customer: Callable[..., Customer]) -> None:
    call = services.call_record_create(
        customer=make_customer(), **call_values(notes=""), actor=STAFF
    )
    assert call.findings == {} and not CallRecording.objects.exists()


BAD_CALLS: list[tuple[dict[str, Any], bytes | None, str, str]] = [
    ({"occurred_at": timezone.now() + timedelta(hours=1)}, None, "occurred_at", "future"),
    ({"duration_seconds": -5}, None, "duration_seconds", "greater than or equal to 0"),
    ({"duration_seconds": 90_000}, None, "duration_seconds", "24 hours"),
    ({"direction": "both"}, None, "direction", "not a valid choice"),
    ({"notes": "n" * 10_001}, None, "notes", "at most 10000"),
    ({"notes": "bell\x07"}, None, "notes", "control characters"),
    ({}, b"%PDF-1.7 not audio", "recording", "WAV, MP3 or Ogg"),
    ({}, b"", "recording", "empty"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "recording", "field", "message"), BAD_CALLS)
def test_a_bad_call_names_the_field_and_stores_nothing(
    make_customer: Callable[..., Customer],
    change: dict[str, Any],
    recording: bytes | None,
    field: str,
    message: str,
) -> None:
    with pytest.raises(ValidationError) as refused:
        services.call_record_create(
            customer=make_customer(),
            **call_values(**change),
            recording=None if recording is None else BytesIO(recording),
            actor=STAFF,
        )
    assert message in " ".join(refused.value.message_dict[field])
    assert not CallRecord.objects.exists() and not CallRecording.objects.exists()
    assert not AccessEvent.objects.exists()


@pytest.mark.django_db
def test_a_recording_beyond_the_size_limit_is_refused(
    make_customer: Callable[..., Customer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "RECORDING_MAX_BYTES", 100)
    with pytest.raises(ValidationError, match="larger than"):
        services.call_record_create(
            customer=make_customer(), **call_values(), recording=BytesIO(WAV * 3), actor=STAFF
        )
    assert not CallRecord.objects.exists()


@pytest.mark.django_db
def test_filing_unmatched_mail_re_encrypts_it_for_the_customer_and_shreds_its_own_key(
    make_customer: Callable[..., Customer], django_capture_on_commit_callbacks: Any
) -> None:
    customer = make_customer(email="ada@example.com")
    report = services.emails_import(
        messages=[RawMessage("1.eml", data=eml(sender="ada.home@example.net"))],
        actor=Actor.system("test"),
    )
    assert report.unmatched == 1
    record = EmailRecord.objects.get()
    own_subject = record.subject_id
    with django_capture_on_commit_callbacks(execute=True):
        services.email_file(record=record, customer=customer, actor=STAFF)
    record = EmailRecord.objects.get()  # fresh from the database: decrypts with the new key
    assert record.customer == customer and record.subject_id == customer.subject_id
    assert "has not arrived" in record.body and record.from_address == "ada.home@example.net"
    assert record.filed_by_label == "Sam (support)" and record.filed_at is not None
    (status,) = [s for s in subject_key_status(subject=own_subject) if s.key_class == "support"]
    assert status.shredded_at is not None and status.shredded_by == "Sam (support)"
    event = AccessEvent.objects.filter(action="change").get()
    assert str(event.subject) == str(customer.subject_id)
    with pytest.raises(ValidationError, match="already filed"):
        services.email_file(record=record, customer=make_customer(), actor=STAFF)


# --- the customer's own pages ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_customer_sees_their_emails_and_calls_read_only(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer()
    email = services.email_record_create(customer=customer, **email_values(), actor=STAFF)
    call = services.call_record_create(
        customer=customer, **call_values(), recording=BytesIO(WAV), actor=STAFF
    )
    client.force_login(customer.user)
    listing = client.get("/correspondence/").content.decode()
    assert "Your order" in listing and "12:34" in listing and "Sam (support)" in listing
    detail = client.get(f"/correspondence/emails/{email.pk}/").content.decode()
    assert "your parcel left today" in detail
    notes = client.get(f"/correspondence/calls/{call.pk}/").content.decode()
    assert "delivery address" in notes and "90 days" in notes
    assert client.post("/correspondence/").status_code == 405


@pytest.mark.django_db
def test_another_customer_cannot_see_them(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    """R38: the list shows only one's own records; another's ids are a 404."""
    owner, other = make_customer(), make_customer()
    email = services.email_record_create(customer=owner, **email_values(), actor=STAFF)
    call = services.call_record_create(customer=owner, **call_values(), actor=STAFF)
    client.force_login(other.user)
    listing = client.get("/correspondence/").content.decode()
    assert "Your order" not in listing and "12:34" not in listing
    assert client.get(f"/correspondence/emails/{email.pk}/").status_code == 404
    assert client.get(f"/correspondence/calls/{call.pk}/").status_code == 404


@pytest.mark.django_db
def test_unmatched_mail_is_no_customer_s_to_see(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    services.emails_import(
        messages=[RawMessage("1.eml", data=eml(sender="x@example.net"))], actor=STAFF
    )
    client.force_login(make_customer().user)
    email = EmailRecord.objects.get()
    assert client.get(f"/correspondence/emails/{email.pk}/").status_code == 404


@pytest.mark.django_db
def test_the_pages_need_a_signed_in_customer(client: Client, make_staff_user: User) -> None:
    """Anonymous visitors go to sign in; staff identities are refused the customer pages."""
    response = client.get("/correspondence/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(make_staff_user)
    assert client.get("/correspondence/").status_code == 403


@pytest.fixture
def make_staff_user(db: None) -> User:
    return User.objects.create_user(
        email="staff@c-mes.example", password="x" * 20, display_name="Sam", is_staff=True
    )
