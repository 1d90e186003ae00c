"""A ciphertext opens only in its own table, column and row, under its subject's key (R6, R40)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from django.db import connection, transaction

from tutela.crypto.api import CiphertextError, EncryptionError
from tutela.crypto.models import DataKey
from tutela.crypto.tests.helpers import fresh, raw_column, write_column
from tutela.crypto.tests.models import Letter, Person

pytestmark = pytest.mark.django_db(databases="__all__")


def test_a_ciphertext_swapped_between_rows_of_one_subject_fails_naming_field_and_row() -> None:
    """AAD mismatch: same subject and key, another row: an error naming model, field, row."""
    subject = uuid.uuid4()
    first = Person.objects.create(subject_id=subject, full_name="Ada")
    second = Person.objects.create(subject_id=subject, full_name="Grace")
    write_column(second, "full_name", raw_column(first, "full_name") or b"")
    with pytest.raises(CiphertextError) as caught:
        _ = fresh(second).full_name
    message = str(caught.value)
    assert f"crypto_tests.Person.full_name of row {second.pk}" in message
    assert "authentication failed" in message
    assert fresh(first).full_name == "Ada"


def test_a_ciphertext_moved_to_another_column_of_the_same_row_fails() -> None:
    """AAD mismatch: name and email share a key class and row, but not a column."""
    person = Person.objects.create(full_name="Ada", email="ada@example.com")
    write_column(person, "email", raw_column(person, "full_name") or b"")
    with pytest.raises(CiphertextError, match=r"Person\.email of row"):
        _ = fresh(person).email


def test_a_ciphertext_moved_to_another_subject_fails() -> None:
    """Another subject means another data key: the tag does not verify."""
    ada = Person.objects.create(full_name="Ada")
    eve = Person.objects.create(full_name="Eve")
    write_column(eve, "full_name", raw_column(ada, "full_name") or b"")
    with pytest.raises(CiphertextError):
        _ = fresh(eve).full_name


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (lambda blob: blob[:-1] + bytes([blob[-1] ^ 1]), "authentication failed"),
        (lambda blob: blob[:20] + bytes([blob[20] ^ 0x80]) + blob[21:], "authentication failed"),
        (lambda blob: blob[:10], "too short"),
        (lambda blob: b"\x07" + blob[1:], "unknown format version 7"),
        (lambda blob: b"", "empty value"),
    ],
    ids=["tag-bit", "ciphertext-bit", "truncated", "version", "empty"],
)
def test_a_corrupted_ciphertext_raises_a_clear_error_never_garbage(
    damage: Callable[[bytes], bytes], expected: str
) -> None:
    """R40: any damage is an error naming field and row, with the reason."""
    person = Person.objects.create(full_name="Ada Lovelace")
    write_column(person, "full_name", damage(raw_column(person, "full_name") or b""))
    with pytest.raises(CiphertextError, match=expected) as caught:
        _ = fresh(person).full_name
    assert str(person.pk) in str(caught.value)


def test_a_missing_data_key_is_an_error_not_an_erased_value() -> None:
    """A key store that lost the key (not a shred) is a fault to report, not an erasure."""
    person = Person.objects.create(full_name="Ada")
    DataKey.objects.filter(subject=str(person.subject_id)).delete()
    with pytest.raises(CiphertextError, match="no account data key for subject"):
        _ = fresh(person).full_name


def test_encrypting_needs_a_row_id_and_a_subject() -> None:
    """Without a row id or a subject there is nothing to bind to: a clear error, nothing stored."""
    letter = Letter(subject_id=str(uuid.uuid4()), body="Dear Sir", reference=None)
    with pytest.raises(EncryptionError, match="the row has no id yet"), transaction.atomic():
        letter.save()
    person = Person(full_name="Ada", subject_id=None)
    with pytest.raises(EncryptionError, match="subject_id is empty"), transaction.atomic():
        person.save()
    bad = Letter(subject_id="not-a-uuid", body="x")
    with (
        pytest.raises(EncryptionError, match="badly formed hexadecimal UUID string"),
        transaction.atomic(),
    ):
        bad.save()
    assert not Letter.objects.exists()
    assert not Person.objects.exists()


def test_a_named_row_field_binds_rows_with_integer_keys() -> None:
    """row_field: a model with an auto-increment key binds to a UUID set in Python."""
    one = Letter.objects.create(subject_id=str(uuid.uuid4()), body="first letter")
    two = Letter.objects.create(subject_id=one.subject_id, body="second letter")
    assert Letter.objects.get(pk=one.pk).body == "first letter"
    blob = Letter.objects.filter(pk=one.pk).values_list("body", flat=True).get().blob
    with connection.cursor() as cursor:
        cursor.execute("UPDATE crypto_tests_letter SET body = %s WHERE id = %s", [blob, two.pk])
    with pytest.raises(CiphertextError, match=f"Letter.body of row {two.reference}"):
        _ = Letter.objects.get(pk=two.pk).body
