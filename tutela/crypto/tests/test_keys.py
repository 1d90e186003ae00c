"""The key file and start-up checks: created safely, refused when missing, unsafe or wrong (R6)."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

import pytest

from tutela.crypto import keystore
from tutela.crypto.api import KeyConfigurationError
from tutela.crypto.checks import check_key_material
from tutela.crypto.models import KeyCanary
from tutela.crypto.providers import LocalFileKeyProvider
from tutela.crypto.tests.helpers import fresh
from tutela.crypto.tests.models import Person

pytestmark = pytest.mark.django_db(databases="__all__")


def errors() -> list[str]:
    return [m.msg for m in check_key_material() if m.id == "crypto.E001"]


def restart() -> None:
    """What a new process sees: nothing verified, nothing cached."""
    keystore.reset()


def test_a_fresh_install_creates_the_key_file_private_to_its_owner(key_file: Path) -> None:
    """First run: the check creates the file, mode 0600 in a 0700 folder, and passes."""
    assert not key_file.exists()
    assert errors() == []
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    content = json.loads(key_file.read_text())
    assert content["format"] == "tutela-keys/1"
    assert content["current_master_key"] in content["master_keys"]
    # The blind-index key is separate from every master key.
    master_keys = {entry["key"] for entry in content["master_keys"].values()}
    assert content["blind_index_key"]["key"] not in master_keys


def test_first_encryption_creates_the_key_file_and_its_canaries(key_file: Path) -> None:
    """Without a prior check (a WSGI worker), first use creates the file and records canaries."""
    Person.objects.create(full_name="Ada")
    assert key_file.exists()
    kinds = set(KeyCanary.objects.values_list("kind", flat=True))
    assert kinds == {"master", "blind_index"}


def test_a_key_file_readable_by_others_is_refused_with_what_to_do(key_file: Path) -> None:
    assert errors() == []
    os.chmod(key_file, 0o644)
    restart()
    [problem] = errors()
    assert "can be read by other users (mode 0644)" in problem
    assert f"chmod 600 {key_file}" in problem
    with pytest.raises(KeyConfigurationError, match="can be read by other users"):
        Person.objects.create(full_name="Ada")


def test_a_missing_key_file_stops_start_up_when_data_keys_exist(key_file: Path) -> None:
    """A lost key file is never silently replaced: that would make every field unreadable."""
    person = Person.objects.create(full_name="Ada")
    key_file.unlink()
    restart()
    [problem] = errors()
    assert re.search(r"is missing, but the key store was written with it \(\d+ data key", problem)
    assert "Restore the key file from its backup" in problem
    assert not key_file.exists()
    with pytest.raises(KeyConfigurationError, match="is missing"):
        _ = fresh(person).full_name


def test_a_wrong_key_file_stops_start_up_and_reading(key_file: Path, tmp_path: Path) -> None:
    """Another install's key file: its master keys do not wrap our data keys."""
    person = Person.objects.create(full_name="Ada")
    other = tmp_path / "other" / "master-keys.json"
    LocalFileKeyProvider(other).create()
    os.replace(other, key_file)
    restart()
    problems = errors()
    assert any(re.search(r"wraps \d+ data key\(s\) but is not in key file", p) for p in problems)
    assert any("blind-index key" in p for p in problems)
    with pytest.raises(KeyConfigurationError, match="wrong key file"):
        _ = fresh(person).full_name


def test_an_altered_master_key_is_caught_by_its_canary(key_file: Path) -> None:
    """Same key id, other key bytes: the canary does not open, start-up stops."""
    person = Person.objects.create(full_name="Ada")
    content = json.loads(key_file.read_text())
    current = content["current_master_key"]
    replacement = LocalFileKeyProvider(key_file.parent / "x.json")
    replacement.create()
    other = json.loads((key_file.parent / "x.json").read_text())
    content["master_keys"][current]["key"] = next(iter(other["master_keys"].values()))["key"]
    key_file.write_text(json.dumps(content))
    restart()
    [problem] = errors()
    assert f"master key {current}" in problem
    assert "not the key the key store was written with" in problem
    with pytest.raises(KeyConfigurationError):
        _ = fresh(person).full_name


def test_a_corrupt_key_file_names_what_is_wrong(key_file: Path) -> None:
    assert errors() == []
    content = json.loads(key_file.read_text())
    del content["blind_index_key"]
    key_file.write_text(json.dumps(content))
    restart()
    [problem] = errors()
    assert "is not a valid Tutela key file: blind_index_key: Field required" in problem


def test_a_provider_setting_that_is_not_a_provider_is_refused(settings: Any) -> None:
    settings.TUTELA_KEY_PROVIDER = "tutela.crypto.models.DataKey"
    [problem] = errors()
    assert "is not a KeyProvider" in problem
    settings.TUTELA_KEY_PROVIDER = "tutela.crypto.nowhere.Provider"
    [problem] = errors()
    assert "TUTELA_KEY_PROVIDER='tutela.crypto.nowhere.Provider'" in problem


def test_two_processes_creating_the_file_at_once_keep_one(key_file: Path) -> None:
    """create() never overwrites: the second creator keeps the first one's keys."""
    first, second = LocalFileKeyProvider(key_file), LocalFileKeyProvider(key_file)
    first.create()
    kept = key_file.read_bytes()
    second.create()
    assert key_file.read_bytes() == kept
    assert second.current_master_key_id() == first.current_master_key_id()
