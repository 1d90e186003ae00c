"""The access export's contents: every catalogued row about the person, from every app, and
nothing about anyone else; erased values as erased; secrets listed but not copied (R9, R10)."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.models import Model
from django.test import RequestFactory

from tutela.audit.api import AccessEvent, Actor, access_record
from tutela.crypto.api import KeyClass, subject_shred
from tutela.crypto.tests.models import Person
from tutela.customers.api import Customer, ProfileChange, customer_update
from tutela.feedback.models import ContestEntry
from tutela.policy import catalog, sections
from tutela.policy.api import Erasure, ExportSection, catalog_entries
from tutela.rights.export import SubjectExport, export_collect
from tutela.rights.tests.test_export_data import STAFF, Things, fill, things

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(db: None) -> Things:
    return things()


@pytest.fixture
def ada(make_customer: Callable[..., Customer], shared: Things) -> Customer:
    customer = make_customer(email="ada@example.com", full_name="Ada Lovelace")
    fill(customer, shared, tag="ADA")
    return customer


@pytest.fixture
def bob(make_customer: Callable[..., Customer], shared: Things) -> Customer:
    customer = make_customer(email="bob@example.com", full_name="Bob Babbage", city="Leeds")
    fill(customer, shared, tag="BOB", reports=2, sign_ins=2)
    return customer


def records(data: dict[str, Any], label: str) -> dict[str, Any]:
    """The JSON block of one source among the records."""
    return next(block for block in data["records"] if block["source"] == label)


def value(row: dict[str, Any], name: str) -> Any:
    item = row["values"][name]
    assert item["state"] == "value", item
    return item["value"]


def test_an_export_holds_the_customers_data_from_every_app_and_nobody_elses(
    ada: Customer, bob: Customer
) -> None:
    data = export_collect(str(ada.subject_id)).to_json()
    text = json.dumps(data, ensure_ascii=False)
    # Profile, sign-in email, the change history, the security log, every feedback source.
    (profile,) = records(data, "customers.Customer")["rows"]
    assert value(profile, "full_name") == "Ada Lovelace"
    assert value(profile, "city") == "ADA City 0"
    (user,) = records(data, "accounts.User")["rows"]
    assert value(user, "email") == "ada@example.com"
    (change,) = records(data, "customers.ProfileChange")["rows"]
    assert (value(change, "old_value"), value(change, "new_value")) == ("London", "ADA City 0")
    assert change["context"]["field"] == "city" and change["context"]["actor_label"] == "you"
    (sign_in,) = records(data, "accounts.SecurityEvent")["rows"]
    assert value(sign_in, "ip_address") == "203.0.113.1"
    assert sign_in["context"]["kind"] == "sign_in"
    (report,) = records(data, "feedback.ProblemReport")["rows"]
    assert value(report, "summary") == "ADA report 0"
    assert value(report, "details") == "ADA details of problem 0"
    (response,) = records(data, "feedback.QuestionnaireResponse")["rows"]
    assert list(value(response, "answers").values()) == ["ADA answer"]
    assert response["context"]["questionnaire"] == "How do you use our labels?"
    (entry,) = records(data, "feedback.ContestEntry")["rows"]
    assert value(entry, "answer") == "ADA contest answer"
    assert entry["context"]["contest"] == "Win a label printer"
    # The access log about her: her own change and the staff member's read.
    whos = [event["who"] for event in data["access_log"]["events"]]
    assert whos == ["Sam (support)", "you"]
    # Nothing of Bob's, in any field of any source.
    for marker in ("BOB", "Bob Babbage", "bob@example.com", "Leeds", str(bob.subject_id)):
        assert marker not in text
    assert data["subject_id"] == str(ada.subject_id)


def test_every_catalog_entry_with_rows_for_the_subject_appears_in_the_export(
    ada: Customer, bob: Customer
) -> None:
    """Generic: whatever registers in the catalog (commerce, support, correspondence, visits,
    consent, ...) is exported with all its rows, and only the subject's."""
    subject = str(ada.subject_id)
    data = export_collect(subject).to_json()
    summary = {source["source"]: source for source in data["sources"]}
    assert list(summary) == [entry.label for entry in catalog_entries()]
    blocks = {
        "records": {block["source"]: block for block in data["records"]},
        **{
            section: {block["source"]: block for block in data[section]["records"]}
            for section in ("consent_history", "disclosures")
        },
    }
    with_rows = 0
    for entry in catalog_entries():
        expected = {str(pk) for pk in entry.rows_for(subject).values_list("pk", flat=True)}
        assert summary[entry.label]["row_count"] == len(expected), entry.label
        section = summary[entry.label]["section"]
        if not expected:
            assert entry.label not in blocks.get(section, {}), entry.label
            continue
        with_rows += 1
        if section == "access_log":
            assert len(data["access_log"]["events"]) == len(expected)
        else:
            exported = {row["id"] for row in blocks[section][entry.label]["rows"]}
            assert exported == expected, entry.label
            assert set(blocks[section][entry.label]["rows"][0]["values"]) == set(entry.fields)
    # Profile, user, security events, changes, three feedback sources and the access log.
    assert with_rows >= 8


def test_erased_values_appear_as_erased_not_as_errors(ada: Customer) -> None:
    """After crypto-shredding, encrypted values read as erased; plain ones are still shown."""
    subject_shred(
        subject=ada.subject_id,
        key_classes=[KeyClass.ACCOUNT, KeyClass.SUPPORT],
        actor_label="test",
        reason="erasure request",
    )
    export = export_collect(str(ada.subject_id))
    data = export.to_json()
    (profile,) = records(data, "customers.Customer")["rows"]
    assert profile["values"]["full_name"] == {"state": "erased"}
    assert profile["values"]["city"] == {"state": "erased"}
    (report,) = records(data, "feedback.ProblemReport")["rows"]
    assert report["values"]["summary"] == {"state": "erased"}
    (response,) = records(data, "feedback.QuestionnaireResponse")["rows"]
    assert response["values"]["answers"] == {"state": "erased"}
    (sign_in,) = records(data, "accounts.SecurityEvent")["rows"]
    assert value(sign_in, "ip_address") == "203.0.113.1"  # not encrypted: kept until retention
    assert "Ada Lovelace" not in json.dumps(data) and "ADA report" not in json.dumps(data)
    page = export.to_html()
    assert '<td class="erased">[erased]</td>' in page or '<dd class="erased">[erased]</dd>' in page


def test_sign_in_secrets_and_keyed_hashes_are_listed_but_never_copied(ada: Customer) -> None:
    user = ada.user
    user.refresh_from_db()
    data = export_collect(str(ada.subject_id)).to_json()
    text = json.dumps(data)
    (row,) = records(data, "accounts.User")["rows"]
    assert row["values"]["password"]["state"] == "withheld"
    assert "sign in as you" in row["values"]["password"]["reason"]
    assert row["values"]["email_bidx"]["state"] == "withheld"
    assert user.password not in text and user.email_bidx not in text
    assert ada.full_name_bidx not in text


@pytest.fixture(scope="module")
def person_table(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """The crypto app's test-only model (every encrypted field type), made outside any
    transaction (SQLite's schema editor refuses to run inside one), once for this module."""
    with django_db_blocker.unblock():
        created = Person._meta.db_table not in connection.introspection.table_names()
        if created:
            with connection.schema_editor() as editor:
                editor.create_model(Person)
    yield
    if created:
        with django_db_blocker.unblock(), connection.schema_editor() as editor:
            editor.delete_model(Person)


@pytest.fixture
def catalogued_person(monkeypatch: pytest.MonkeyPatch, person_table: None) -> None:
    entry = catalog.Entry(
        model=Person,
        subject="subject_id",
        fields={
            "full_name": "name",
            "email": "contact_email",
            "email_bidx": "contact_email",
            "preferences": "privacy_choices",
            "notes": "correspondence",
            "recording": "call_recordings",
            "bank_account": "payment_details",
        },
        purpose="respond_to_requests",
        erasure=Erasure.DELETE,
        retention="call_recordings",
    )
    entries: dict[type[Model], catalog.Entry] = catalog._entries
    key: type[Model] = Person
    monkeypatch.setitem(entries, key, entry)


def test_files_are_listed_with_name_size_type_and_hash_and_inlined_only_when_small(
    catalogued_person: None,
) -> None:
    """A model registered today is exported at once: here a test model with a recording."""
    small = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(20)
    large = b"%PDF-1.7\n" + bytes(5000)
    subject = uuid.uuid4()
    for email, notes, recording in (("a@example.com", "call", small), ("b@", "letter", large)):
        Person.objects.create(
            subject_id=subject, full_name="Ada", email=email, notes=notes, recording=recording
        )
    export = export_collect(str(subject), inline_file_bytes=1024)
    data = export.to_json()
    rows = {value(row, "notes"): row for row in records(data, "crypto_tests.Person")["rows"]}
    inline = rows["call"]["values"]["recording"]["file"]
    assert inline["included"] is True and inline["media_type"] == "audio/wav"
    assert base64.b64decode(inline["content_base64"]) == small
    assert inline["sha256"] == hashlib.sha256(small).hexdigest()
    assert inline["file_name"] == f"crypto_tests-person-{rows['call']['id']}-recording.wav"
    listed = rows["letter"]["values"]["recording"]["file"]
    assert listed["included"] is False and listed["content_base64"] is None
    assert listed["size_bytes"] == len(large) and listed["media_type"] == "application/pdf"
    assert listed["sha256"] == hashlib.sha256(large).hexdigest()
    assert data["files"]["inline_limit_bytes"] == 1024
    page = export.to_html()
    assert listed["file_name"] in page and "sent as a separate file" in page
    # An erased recording is shown as erased, not dropped.
    subject_shred(subject=subject, key_classes=[KeyClass.SUPPORT], actor_label="t", reason="t")
    data = export_collect(str(subject)).to_json()
    for row in records(data, "crypto_tests.Person")["rows"]:
        assert row["values"]["recording"] == {"state": "erased"}
        assert value(row, "full_name") == "Ada"


def test_the_access_log_names_staff_by_first_name_and_role_and_keeps_their_address_out(
    ada: Customer,
) -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="198.51.100.7")
    access_record(
        actor=STAFF,
        subject=ada.subject_id,
        categories=["contact_phone"],
        purpose="respond_to_requests",
        action="read",
        request=request,
    )
    customer_update(
        customer=ada,
        changes={"postcode": "NW1 6XE"},
        channel=ProfileChange.Channel.SELF_SERVICE,
        actor=Actor.customer(id=ada.user.pk),
        request=RequestFactory().get("/", REMOTE_ADDR="203.0.113.50"),
    )
    events = export_collect(str(ada.subject_id)).to_json()["access_log"]["events"]
    newest, staff_read = events[0], events[1]
    assert (newest["who"], newest["action"], newest["ip"]) == ("you", "change", "203.0.113.50")
    assert staff_read["who"] == "Sam (support)" and staff_read["role"] == "support"
    assert staff_read["ip"] is None  # the staff member's address is theirs
    assert staff_read["purpose_label"] == "Answering your requests"
    assert staff_read["category_labels"] == ["Phone numbers"]
    assert "198.51.100.7" not in json.dumps(events)


def test_rows_filed_under_a_section_are_shown_there_and_not_among_the_records(
    ada: Customer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hook the consent and disclosure apps use (tutela.policy.sections)."""
    monkeypatch.setattr(sections, "_sections", {})  # as before any app registered
    data = export_collect(str(ada.subject_id)).to_json()
    assert data["consent_history"] == {"registered": False, "records": []}
    sections.export_section_register(ContestEntry, section=ExportSection.CONSENT_HISTORY)
    data = export_collect(str(ada.subject_id)).to_json()
    assert data["consent_history"]["registered"] is True
    (block,) = data["consent_history"]["records"]
    assert block["source"] == "feedback.ContestEntry" and len(block["rows"]) == 1
    assert "feedback.ContestEntry" not in {b["source"] for b in data["records"]}
    assert data["disclosures"] == {"registered": False, "records": []}


def test_only_catalogued_models_can_be_filed_under_a_section(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sections, "_sections", {})
    with pytest.raises(LookupError, match="call catalog_register before"):
        sections.export_section_register(Person, section=ExportSection.DISCLOSURES)
    sections.export_section_register(ContestEntry, section=ExportSection.DISCLOSURES)
    with pytest.raises(ValueError, match="already filed"):
        sections.export_section_register(ContestEntry, section=ExportSection.CONSENT_HISTORY)


def test_collecting_an_export_writes_nothing_to_the_access_log(ada: Customer) -> None:
    """The request's fulfilment logs the export; collecting it is a read of its own."""
    before = AccessEvent.objects.count()
    export = export_collect(str(ada.subject_id))
    export.to_json()
    export.to_html()
    assert AccessEvent.objects.count() == before
    assert set(export.category_keys) >= {"name", "contact_email", "ip_address", "problem_reports"}


@pytest.mark.parametrize("bad", ["", "42", "ada@example.com", "not-a-uuid-at-all"])
def test_a_subject_id_that_is_not_a_uuid_is_refused_with_a_clear_message(bad: str) -> None:
    with pytest.raises(ValueError, match=r"subject_id: .* is not a subject id"):
        export_collect(bad)


def test_someone_we_hold_nothing_about_gets_an_empty_but_complete_answer() -> None:
    export: SubjectExport = export_collect("00000000-0000-4000-8000-000000000000")
    data = export.to_json()
    assert data["records"] == [] and data["categories"] == []
    assert all(source["row_count"] == 0 for source in data["sources"])
    assert {right["key"] for right in data["rights"]} >= {"erasure", "objection", "complaint"}
    assert "We hold no personal data about you." in export.to_html()
