"""The key store can live in its own database, so main-database backups hold no keys (R42)."""

from __future__ import annotations

from typing import Any

from tutela.crypto.models import DataKey, KeyCanary
from tutela.crypto.routers import KeyStoreRouter
from tutela.crypto.tests.models import Person

router = KeyStoreRouter()


def test_key_store_models_go_to_the_configured_database(settings: Any) -> None:
    settings.TUTELA_KEYSTORE_DATABASE = "keystore"
    for model in (DataKey, KeyCanary):
        assert router.db_for_read(model) == "keystore"
        assert router.db_for_write(model) == "keystore"
    assert router.db_for_read(Person) is None  # everything else: Django's default routing


def test_each_database_gets_only_its_own_tables(settings: Any) -> None:
    """migrate --database keystore creates the key store only; the main one never gets it."""
    settings.TUTELA_KEYSTORE_DATABASE = "keystore"
    assert router.allow_migrate("keystore", "crypto") is True
    assert router.allow_migrate("default", "crypto") is False
    assert router.allow_migrate("keystore", "customers") is False
    assert router.allow_migrate("default", "customers") is None


def test_without_a_key_store_database_everything_stays_in_default(settings: Any) -> None:
    settings.TUTELA_KEYSTORE_DATABASE = "default"
    assert router.db_for_write(DataKey) == "default"
    assert router.allow_migrate("default", "crypto") is True
    assert router.allow_migrate("default", "customers") is None
