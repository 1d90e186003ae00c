"""Every encrypted field type gives back exactly what was stored (R6), checked with hypothesis."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tutela.crypto import cipher
from tutela.crypto.tests.models import Person

pytestmark = pytest.mark.django_db(databases="__all__")

DB_EXAMPLES = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# PostgreSQL text cannot hold NUL, but ciphertext is bytes: any character must round-trip.
texts = st.text(max_size=150)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)


def stored_column(person: Person, column: str) -> bytes:
    """The bytes in the database column (values_list skips decryption: it has no instance)."""
    sealed = Person.objects.filter(pk=person.pk).values_list(column, flat=True).get()
    return bytes(sealed.blob)


@DB_EXAMPLES
@given(name=texts)
def test_text_round_trips_through_the_database_encrypted(name: str) -> None:
    """R6: any text comes back equal, and the column holds neither it nor its UTF-8 bytes."""
    person = Person.objects.create(full_name=name)
    loaded = Person.objects.get(pk=person.pk)
    assert loaded.full_name == name
    raw = stored_column(person, "full_name")
    assert raw[0] == cipher.VERSION_1
    if len(name) >= 4:
        assert name.encode() not in raw


@DB_EXAMPLES
@given(value=json_values)
def test_json_round_trips_through_the_database(value: Any) -> None:
    """R6: any JSON value (None is SQL NULL) comes back equal."""
    person = Person.objects.create(full_name="x", preferences=value)
    assert Person.objects.get(pk=person.pk).preferences == value


@DB_EXAMPLES
@given(data=st.binary(max_size=4096))
def test_bytes_round_trip_through_the_database(data: bytes) -> None:
    """R6: binary content (call recordings) comes back byte for byte."""
    person = Person.objects.create(full_name="x", recording=data)
    assert Person.objects.get(pk=person.pk).recording == data


@settings(max_examples=200, deadline=None)
@given(
    plaintext=st.binary(max_size=2048),
    table=st.text(min_size=1, max_size=30),
    column=st.text(min_size=1, max_size=30),
    row=st.uuids(),
)
def test_the_cipher_layer_round_trips_and_binds_to_its_row(
    plaintext: bytes, table: str, column: str, row: uuid.UUID
) -> None:
    """R6: seal/open are inverse, and the same ciphertext does not open for another row."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key = AESGCM(AESGCM.generate_key(256))
    aad = cipher.aad_prefix(table, column) + cipher.row_part(row)
    blob = cipher.seal(key, plaintext, aad)
    assert cipher.open_sealed(key, blob, aad) == plaintext
    other = cipher.aad_prefix(table, column) + cipher.row_part(uuid.uuid4())
    with pytest.raises(InvalidTag):
        cipher.open_sealed(key, blob, other)


def test_values_survive_an_update_and_a_reload() -> None:
    """Changing one field re-encrypts it; untouched fields keep their stored bytes."""
    person = Person.objects.create(full_name="Ada", notes="first", bank_account="GB00")
    before = stored_column(person, "notes")
    loaded = Person.objects.get(pk=person.pk)
    loaded.full_name = "Ada Lovelace"
    loaded.save()
    assert stored_column(person, "notes") == before
    again = Person.objects.get(pk=person.pk)
    assert (again.full_name, again.notes, again.bank_account) == ("Ada Lovelace", "first", "GB00")
