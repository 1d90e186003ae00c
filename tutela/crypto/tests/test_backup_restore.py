"""A backup taken before a shred, restored after it, no longer yields the subject's data (R42)."""

from __future__ import annotations

import pytest

from tutela.crypto import keystore
from tutela.crypto.api import ERASED, ERASED_BYTES, KeyClass, subject_shred
from tutela.crypto.models import DataKey
from tutela.crypto.tests.helpers import dump_table, restore_table
from tutela.crypto.tests.models import Person

pytestmark = pytest.mark.django_db(databases="__all__")

TABLE = Person._meta.db_table
EVERY_CLASS = [KeyClass.ACCOUNT, KeyClass.MARKETING, KeyClass.SUPPORT, KeyClass.FINANCIAL]


def shred(person: Person) -> None:
    """The erasure of every key class, financial included (its retention has ended)."""
    subject_shred(
        subject=person.subject_id,
        key_classes=EVERY_CLASS,
        actor_label="privacy officer Dana",
        reason="erasure request DSR-42",
    )


def people() -> tuple[Person, Person]:
    ada = Person.objects.create(
        full_name="Ada Lovelace",
        email="ada@example.com",
        preferences={"newsletter": True},
        notes="asked about invoice 7",
        recording=b"ada's voice",
        bank_account="GB29 NWBK 6016 1331 9268 19",
    )
    grace = Person.objects.create(
        full_name="Grace Hopper", email="grace@example.com", notes="prefers phone"
    )
    return ada, grace


def test_a_database_backup_restored_after_shredding_no_longer_yields_the_subject() -> None:
    """R42: the backup holds ciphertext only; with the keys destroyed it reads as erased."""
    ada, grace = people()
    columns, backup = dump_table(TABLE)
    dumped = repr(backup).encode()
    for secret in (b"Ada Lovelace", b"ada@example.com", b"invoice 7", b"NWBK", b"ada's voice"):
        assert secret not in dumped  # the backup itself holds no plaintext

    shred(ada)
    Person.objects.all().delete()  # the disaster: the database is lost...
    restore_table(TABLE, columns, backup)  # ...and restored from the old backup
    keystore.reset()  # a freshly started process: nothing cached

    restored_ada = Person.objects.get(pk=ada.pk)
    assert restored_ada.full_name is ERASED
    assert restored_ada.email is ERASED
    assert restored_ada.preferences is ERASED
    assert restored_ada.notes is ERASED
    assert restored_ada.recording is ERASED_BYTES
    assert restored_ada.bank_account is ERASED
    restored_grace = Person.objects.get(pk=grace.pk)
    assert (restored_grace.full_name, restored_grace.email, restored_grace.notes) == (
        "Grace Hopper",
        "grace@example.com",
        "prefers phone",
    )


def test_an_old_key_store_backup_would_bring_the_subject_back() -> None:
    """Why the key store is backed up apart, with short retention (docs/operations.md).

    Restoring the key store from before the shred revives the keys: erasure is complete only
    once the last key store backup holding them has expired.
    """
    ada, _grace = people()
    alias = keystore.keystore_alias()
    key_columns, key_backup = dump_table(DataKey._meta.db_table, using=alias)
    shred(ada)
    assert Person.objects.get(pk=ada.pk).full_name is ERASED

    DataKey.objects.using(alias).all().delete()
    restore_table(DataKey._meta.db_table, key_columns, key_backup, using=alias)
    keystore.reset()
    assert Person.objects.get(pk=ada.pk).full_name == "Ada Lovelace"
