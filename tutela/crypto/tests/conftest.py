"""Fixtures for the crypto tests: test-only tables, key files, fresh per-process key state."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tutela.crypto import keystore
from tutela.crypto.tests.models import TEST_MODELS


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """The test database plus the test-only tables (created once, outside transactions)."""
    with django_db_blocker.unblock(), connection.schema_editor() as editor:
        for model in TEST_MODELS:
            editor.create_model(model)
    yield


@pytest.fixture(autouse=True)
def _fresh_key_state() -> Iterator[None]:
    """Each test starts with no provider, no verification and no cached key in this process."""
    keystore.reset()
    yield
    keystore.reset()


@pytest.fixture
def key_file(tmp_path: Path, settings: Any) -> Path:
    """A key file of this test's own (not yet created), so a test may damage it freely."""
    path = tmp_path / "keys" / "master-keys.json"
    settings.TUTELA_KEY_FILE = path
    return path
