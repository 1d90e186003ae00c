"""Master key rotation re-wraps data keys and never touches the encrypted data (R6)."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command

from tutela.crypto import keystore
from tutela.crypto.api import ERASED, master_key_rotate, subject_shred
from tutela.crypto.models import DataKey, KeyCanary
from tutela.crypto.providers import LocalFileKeyProvider
from tutela.crypto.tests.helpers import dump_table, fresh
from tutela.crypto.tests.models import Person

pytestmark = pytest.mark.django_db(databases="__all__")

NO_GRACE = timedelta(0)


def master_ids(key_file: Path) -> set[str]:
    return set(json.loads(key_file.read_text())["master_keys"])


def test_rotation_rewraps_every_data_key_without_touching_the_data(key_file: Path) -> None:
    people = [Person.objects.create(full_name=f"Person {n}", notes="n") for n in range(3)]
    columns, before = dump_table(Person._meta.db_table)
    old_key = keystore.provider().current_master_key_id()
    wrapped_before = {k.pk: bytes(k.wrapped_key) for k in DataKey.objects.all()}

    result = master_key_rotate(actor_label="operator", batch_size=2, retire_grace=NO_GRACE)

    assert result.added and result.master_key_id != old_key
    assert result.rewrapped == len(wrapped_before) == 6
    assert dump_table(Person._meta.db_table) == (columns, before)  # data untouched
    for key in DataKey.objects.all():
        assert key.master_key_id == result.master_key_id
        assert bytes(key.wrapped_key) != wrapped_before[key.pk]
        assert key.rewrapped_at is not None
    assert result.retired == [old_key]
    assert master_ids(key_file) == {result.master_key_id}
    assert not KeyCanary.objects.filter(key_id=old_key).exists()
    keystore.reset()  # a process started after the rotation
    assert [fresh(p).full_name for p in people] == ["Person 0", "Person 1", "Person 2"]


def test_an_old_master_key_is_kept_during_the_grace_period(key_file: Path) -> None:
    """A process that read the old key file a moment ago may still wrap with it."""
    Person.objects.create(full_name="Ada")
    old_key = keystore.provider().current_master_key_id()
    result = master_key_rotate(actor_label="operator")
    assert result.retired == []
    assert "retired after 1:00:00" in result.kept[old_key]
    assert master_ids(key_file) == {old_key, result.master_key_id}


def test_an_interrupted_rotation_is_finished_by_resume(key_file: Path) -> None:
    """Resumable: the key was added but nothing re-wrapped; --resume finishes onto that key."""
    people = [Person.objects.create(full_name=f"P{n}") for n in range(3)]
    old_key = keystore.provider().current_master_key_id()
    added = LocalFileKeyProvider(key_file).add_master_key()  # the crash came right after this

    result = master_key_rotate(actor_label="operator", resume=True, retire_grace=NO_GRACE)

    assert (result.added, result.master_key_id) == (False, added)
    assert set(DataKey.objects.values_list("master_key_id", flat=True)) == {added}
    assert result.retired == [old_key]
    again = master_key_rotate(actor_label="operator", resume=True, retire_grace=NO_GRACE)
    assert (again.rewrapped, again.retired) == (0, [])  # idempotent
    keystore.reset()
    assert [fresh(p).full_name for p in people] == ["P0", "P1", "P2"]


def test_rotation_leaves_shredded_keys_shredded(key_file: Path) -> None:
    ada = Person.objects.create(full_name="Ada")
    subject_shred(subject=ada.subject_id, key_classes=["account"], actor_label="a", reason="r")
    result = master_key_rotate(actor_label="operator", retire_grace=NO_GRACE)
    row = DataKey.objects.get(subject=str(ada.subject_id), key_class="account")
    assert (bytes(row.wrapped_key), row.master_key_id) == (b"", "")
    assert result.rewrapped == DataKey.objects.filter(shredded_at__isnull=True).count()
    keystore.reset()
    assert fresh(ada).full_name is ERASED


def test_other_processes_wrap_new_keys_with_the_new_master_key(key_file: Path) -> None:
    """A running process notices the rotated key file before it wraps the next data key."""
    Person.objects.create(full_name="Ada")
    running = keystore.provider()
    running.current_master_key_id()
    rotated = LocalFileKeyProvider(key_file).add_master_key()
    Person.objects.create(full_name="Grace")
    newest = DataKey.objects.order_by("-pk").first()
    assert newest is not None and newest.master_key_id == rotated


def test_the_keys_rotate_command_reports_what_it_did(key_file: Path) -> None:
    Person.objects.create(full_name="Ada")
    out = io.StringIO()
    call_command("keys_rotate", "--batch-size", "1", stdout=out)
    text = out.getvalue()
    assert "current master key: mk-" in text and "(added)" in text
    assert "data keys re-wrapped: 2" in text  # account and support (empty notes)
    assert "kept master key" in text and "back up the key file now" in text
