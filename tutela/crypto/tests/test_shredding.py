"""Crypto-shredding: destroying a subject's keys makes their fields read as erased (R14, R42)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import transaction
from django.template import Context, Template

from tutela.crypto import keystore
from tutela.crypto.api import (
    ERASED,
    ERASED_BYTES,
    KeyClass,
    KeyShreddedError,
    is_erased,
    subject_key_status,
    subject_shred,
)
from tutela.crypto.models import DataKey
from tutela.crypto.tests.helpers import fresh, raw_column
from tutela.crypto.tests.models import Letter, Person

pytestmark = pytest.mark.django_db(databases="__all__")

ERASURE = {"actor_label": "privacy officer Dana", "reason": "erasure request DSR-17"}


def make_person(**overrides: Any) -> Person:
    values: dict[str, Any] = {
        "full_name": "Ada Lovelace",
        "email": "ada@example.com",
        "preferences": {"newsletter": True},
        "notes": "called about an invoice",
        "recording": b"RIFF....WAVEfmt ",
        "bank_account": "GB29 NWBK 6016 1331 9268 19",
    }
    values.update(overrides)
    return Person.objects.create(**values)


def test_shredded_fields_read_as_erased_and_other_key_classes_still_decrypt() -> None:
    """R14: account, marketing and support shredded; financial (not named) still readable."""
    person = make_person()
    result = subject_shred(
        subject=person.subject_id,
        key_classes=[KeyClass.ACCOUNT, KeyClass.MARKETING, KeyClass.SUPPORT],
        **ERASURE,
    )
    assert sorted(result.shredded) == ["account", "marketing", "support"]
    loaded = fresh(person)
    assert loaded.full_name is ERASED
    assert loaded.email is ERASED
    assert loaded.preferences is ERASED
    assert loaded.notes is ERASED
    assert loaded.recording is ERASED_BYTES
    assert all(
        is_erased(v) for v in (loaded.full_name, loaded.email, loaded.preferences, loaded.recording)
    )
    assert loaded.bank_account == "GB29 NWBK 6016 1331 9268 19"
    assert not is_erased(loaded.bank_account)


def test_an_erased_value_renders_as_a_marker_in_templates_not_an_exception() -> None:
    """Every view keeps working after a shred: the page shows "[erased]"."""
    person = make_person()
    subject_shred(subject=person.subject_id, key_classes=["account"], **ERASURE)
    html = Template("{{ p.full_name }} <{{ p.email|upper }}> {{ p.bank_account }}").render(
        Context({"p": fresh(person)})
    )
    assert html == "[erased] <[ERASED]> GB29 NWBK 6016 1331 9268 19"


def test_shredding_destroys_the_wrapped_key_and_records_who_why_and_when() -> None:
    """The key store keeps the record of the shred, and no key material."""
    person = make_person()
    subject_shred(subject=str(person.subject_id), key_classes=["account"], **ERASURE)
    row = DataKey.objects.get(subject=str(person.subject_id), key_class="account")
    assert bytes(row.wrapped_key) == b""
    assert row.master_key_id == ""
    assert row.shredded_at is not None
    assert (row.shredded_by, row.shred_reason) == ("privacy officer Dana", "erasure request DSR-17")
    status = {s.key_class: s for s in subject_key_status(subject=person.subject_id)}
    assert status["account"].shredded_at == row.shredded_at
    assert status["financial"].shredded_at is None


def test_shredding_twice_is_harmless_and_keeps_the_first_record() -> None:
    """Idempotent: a retried erasure reports what was already done."""
    person = make_person()
    subject_shred(subject=person.subject_id, key_classes=["account"], **ERASURE)
    again = subject_shred(
        subject=person.subject_id,
        key_classes=["account", "marketing"],
        actor_label="job retry",
        reason="retry",
    )
    assert again.already_shredded == ["account"]
    assert again.shredded == ["marketing"]
    row = DataKey.objects.get(subject=str(person.subject_id), key_class="account")
    assert row.shredded_by == "privacy officer Dana"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"key_classes": ["account"], "reason": "  "}, "reason: say why"),
        ({"key_classes": ["account"], "actor_label": ""}, "actor_label: name who"),
        ({"key_classes": ["accounts"]}, "unknown key class 'accounts'"),
        ({"key_classes": []}, "name at least one key class"),
        ({"key_classes": "account"}, "not a single string"),
        ({"key_classes": ["account"], "reason": "x" * 501}, "at most 500 characters"),
    ],
    ids=["blank-reason", "no-actor", "unknown-class", "no-class", "string", "long-reason"],
)
def test_a_bad_shred_request_is_refused_and_destroys_nothing(
    arguments: dict[str, Any], message: str
) -> None:
    """R40: a clear error naming the argument; every key still works."""
    person = make_person()
    with pytest.raises(ValueError, match=message):
        subject_shred(subject=person.subject_id, **{**ERASURE, **arguments})
    assert not DataKey.objects.filter(shredded_at__isnull=False).exists()
    assert fresh(person).full_name == "Ada Lovelace"


def test_a_subject_that_is_not_a_uuid_is_refused() -> None:
    with pytest.raises(ValueError, match="badly formed"):
        subject_shred(subject="ada@example.com", key_classes=["account"], **ERASURE)


def test_an_erased_subject_cannot_be_given_new_personal_data() -> None:
    """A shredded key is never re-created: new data for that subject is refused, nothing stored."""
    person = make_person()
    subject_shred(subject=person.subject_id, key_classes=["account"], **ERASURE)
    loaded = fresh(person)
    loaded.full_name = "Ada King"
    with (
        pytest.raises(KeyShreddedError, match=r"key of subject .* was shredded"),
        transaction.atomic(),
    ):
        loaded.save()
    with pytest.raises(KeyShreddedError), transaction.atomic():
        Person.objects.create(subject_id=person.subject_id, full_name="Ada again")
    assert Person.objects.count() == 1


def test_a_class_never_keyed_gets_a_tombstone_so_it_cannot_be_keyed_later() -> None:
    subject = uuid.uuid4()
    result = subject_shred(subject=subject, key_classes=["financial"], **ERASURE)
    assert result.never_keyed == ["financial"]
    with pytest.raises(KeyShreddedError), transaction.atomic():
        Person.objects.create(subject_id=subject, full_name="x", bank_account="GB00")


def test_a_shredded_row_can_still_be_saved_and_keeps_its_ciphertext() -> None:
    """Changing a plain column of an erased row works; erased fields are left as they are."""
    person = make_person()
    before = raw_column(person, "full_name")
    subject_shred(subject=person.subject_id, key_classes=["account"], **ERASURE)
    loaded = fresh(person)
    assert loaded.full_name is ERASED
    loaded.plain_note = "erased on request"
    loaded.save()
    assert raw_column(person, "full_name") == before
    assert fresh(person).plain_note == "erased on request"


def test_saving_after_a_shred_clears_the_blind_index() -> None:
    """The erased email no longer has a look-up value once the row is saved."""
    person = make_person()
    assert fresh(person).email_bidx
    subject_shred(subject=person.subject_id, key_classes=["account"], **ERASURE)
    loaded = fresh(person)
    loaded.save()
    assert fresh(person).email_bidx is None


def test_one_field_can_be_erased_without_shredding_the_key() -> None:
    """Assigning ERASED stores a tombstone: that field reads as erased, the others do not."""
    person = make_person()
    person.notes = ERASED
    person.save()
    assert raw_column(person, "notes") == b"\x00"
    loaded = fresh(person)
    assert loaded.notes is ERASED
    assert loaded.recording == b"RIFF....WAVEfmt "


def test_a_shred_drops_the_key_from_this_process_cache_at_once(
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The in-process key cache never outlives a shred in the same process."""
    alias = keystore.keystore_alias()  # keys are cached when the key store's transaction commits
    with django_capture_on_commit_callbacks(using=alias, execute=True):
        person = make_person()
    subject = str(person.subject_id)
    with django_capture_on_commit_callbacks(using=alias, execute=True):
        assert fresh(person).full_name == "Ada Lovelace"
    assert keystore.cached(subject, "account")
    with django_capture_on_commit_callbacks(using=alias, execute=True):
        subject_shred(subject=subject, key_classes=["account"], **ERASURE)
    assert not keystore.cached(subject, "account")
    assert fresh(person).full_name is ERASED


def test_an_erased_field_reads_as_erased_even_where_no_key_was_ever_made() -> None:
    """A tombstone needs no key: erasing the only field of a row never creates one."""
    letter = Letter.objects.create(subject_id=str(uuid.uuid4()), body=ERASED)
    assert not DataKey.objects.filter(subject=letter.subject_id).exists()
    assert Letter.objects.get(pk=letter.pk).body is ERASED
