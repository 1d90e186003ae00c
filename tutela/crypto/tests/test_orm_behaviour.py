"""How encrypted fields behave in the ORM, forms and dumps: each gotcha is a clear error (R40)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django import forms
from django.core import serializers
from django.core.exceptions import FieldError, ValidationError
from django.db import connections, models, transaction
from django.test.utils import isolate_apps

from tutela.crypto.api import CiphertextError, EncryptedTextField, EncryptionError, KeyClass
from tutela.crypto.fields import Sealed
from tutela.crypto.keystore import keystore_alias
from tutela.crypto.tests.helpers import fresh, raw_column
from tutela.crypto.tests.models import Person

pytestmark = pytest.mark.django_db(databases="__all__")


def test_max_length_applies_to_the_plaintext_and_names_the_field() -> None:
    person = Person(full_name="x" * 151)
    with pytest.raises(ValidationError) as caught:
        person.full_clean()
    assert "full_name" in caught.value.message_dict
    assert "at most 150 characters" in caught.value.message_dict["full_name"][0]
    Person(full_name="x" * 150).full_clean()


def test_filtering_on_an_encrypted_column_is_refused_with_the_way_out() -> None:
    with pytest.raises(FieldError, match="is encrypted and cannot be filtered with 'exact'"):
        list(Person.objects.filter(full_name="Ada"))
    with pytest.raises(FieldError, match="BlindIndexField"):
        list(Person.objects.filter(full_name__icontains="a"))
    Person.objects.create(full_name="Ada", preferences=None)
    assert Person.objects.filter(preferences__isnull=True).count() == 1


def test_queryset_update_cannot_store_plaintext() -> None:
    """update() has no row or subject to encrypt with: refused, nothing stored."""
    person = Person.objects.create(full_name="Ada")
    with (
        pytest.raises(EncryptionError, match="set the attribute on the instance and save"),
        transaction.atomic(),
    ):
        Person.objects.filter(pk=person.pk).update(full_name="Eve")
    assert fresh(person).full_name == "Ada"


def test_options_that_make_no_sense_on_ciphertext_are_refused_at_definition() -> None:
    with pytest.raises(TypeError, match="unique=True is meaningless on ciphertext"):
        EncryptedTextField(key_class=KeyClass.ACCOUNT, unique=True)
    with pytest.raises(TypeError, match="key_class='private': expected one of"):
        EncryptedTextField(key_class="private")


@isolate_apps("tutela.crypto")
def test_a_subject_field_that_does_not_exist_fails_the_system_check() -> None:
    class Orphan(models.Model):
        id = models.UUIDField(primary_key=True, default=uuid.uuid4)
        secret = EncryptedTextField(key_class=KeyClass.ACCOUNT, subject_field="owner")

        class Meta:
            app_label = "crypto"

        def __str__(self) -> str:
            return "orphan"

    [error] = Orphan._meta.get_field("secret").check()
    assert error.id == "crypto.E101"
    assert "subject_field='owner' is not a field" in error.msg


def test_a_model_form_edits_the_plaintext_and_saves_it_encrypted() -> None:
    class PersonForm(forms.ModelForm):
        class Meta:
            model = Person
            fields = ["full_name", "email", "notes"]

    person = Person.objects.create(full_name="Ada", email="ada@example.com")
    form = PersonForm(instance=fresh(person))
    assert form.initial["full_name"] == "Ada"
    name_field = form.fields["full_name"]
    assert isinstance(name_field, forms.CharField) and name_field.max_length == 150
    assert isinstance(form.fields["notes"].widget, forms.Textarea)
    assert "recording" not in PersonForm.base_fields  # binary: not editable by default
    bound = PersonForm(
        {"full_name": "Ada King", "email": "ada@example.com", "notes": ""}, instance=fresh(person)
    )
    assert bound.is_valid(), bound.errors
    bound.save()
    assert fresh(person).full_name == "Ada King"
    too_long = PersonForm({"full_name": "x" * 151, "email": "", "notes": ""}, instance=person)
    assert not too_long.is_valid()
    assert "full_name" in too_long.errors


def test_dumpdata_writes_ciphertext_never_plaintext() -> None:
    """A JSON dump is a backup too: it must not leak what the database protects."""
    person = Person.objects.create(full_name="Ada Lovelace", preferences={"topic": "engines"})
    dumped = serializers.serialize("json", Person.objects.filter(pk=person.pk))
    assert "Ada Lovelace" not in dumped and "engines" not in dumped
    fields = json.loads(dumped)[0]["fields"]
    import base64

    assert base64.b64decode(fields["full_name"]) == raw_column(person, "full_name")


def test_values_list_yields_sealed_values_not_plaintext() -> None:
    """Without an instance there is no row to decrypt with: values() gives Sealed wrappers."""
    Person.objects.create(full_name="Ada")
    [value] = Person.objects.values_list("full_name", flat=True)
    assert isinstance(value, Sealed)
    assert "Ada" not in repr(value)


def test_deferred_fields_load_and_decrypt_on_access() -> None:
    person = Person.objects.create(full_name="Ada", notes="deferred")
    loaded = Person.objects.only("id", "subject_id").get(pk=person.pk)
    assert loaded.notes == "deferred"


def test_copying_a_row_re_encrypts_what_was_read_and_refuses_what_was_not() -> None:
    """Ciphertext is bound to its row: a copy must read the fields it carries over."""
    person = Person.objects.create(full_name="Ada", notes="n")
    copy = fresh(person)
    _ = (copy.full_name, copy.email, copy.notes)
    copy.pk = uuid.uuid4()
    copy.email = ""
    copy._state.adding = True
    copy.save()
    assert fresh(copy).full_name == "Ada"
    unread = fresh(person)
    unread.pk = uuid.uuid4()
    unread._state.adding = True
    with pytest.raises(CiphertextError, match="authentication failed"), transaction.atomic():
        unread.save()


def test_an_untouched_value_is_not_re_encrypted_on_save() -> None:
    person = Person.objects.create(full_name="Ada", notes="x")
    before = raw_column(person, "full_name")
    loaded = fresh(person)
    assert loaded.full_name == "Ada"
    loaded.plain_note = "changed"
    loaded.save()
    assert raw_column(person, "full_name") == before


def test_reading_ten_encrypted_fields_costs_one_key_query_per_key_class(
    django_assert_num_queries: Any,
) -> None:
    """No N+1 on keys: the instance keeps the keys it has used (R6 performance)."""
    person = Person.objects.create(
        full_name="Ada", email="a@example.com", notes="n", preferences={}, bank_account="GB"
    )
    loaded = fresh(person)
    key_store = connections[keystore_alias()]
    with django_assert_num_queries(4, connection=key_store):  # one per key class
        _ = (loaded.full_name, loaded.email, loaded.notes, loaded.preferences)
        _ = (loaded.bank_account, loaded.recording, loaded.full_name)


def test_a_json_value_changed_in_place_is_saved() -> None:
    """Dicts are mutable: JSON fields are re-encrypted on every save, never passed through."""
    person = Person.objects.create(full_name="Ada", preferences={"topics": ["engines"]})
    loaded = fresh(person)
    loaded.preferences["topics"].append("looms")
    loaded.save()
    assert fresh(person).preferences == {"topics": ["engines", "looms"]}
