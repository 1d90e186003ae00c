"""Fixtures for the access-log tests: a private signing key, events made by the real services,
and a way past the append-only triggers (tests play the attacker with raw SQL)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tutela.audit.api import AccessEvent, Actor, access_record
from tutela.audit.triggers import TABLES, TRIGGERS

SAM = Actor.staff(id=7, first_name="Sam", role="support")


@pytest.fixture(autouse=True)
def signing_key_file(settings: Any, tmp_path: Path) -> Path:
    """Each test signs with its own key in a private folder, never var/."""
    path = tmp_path / "keys" / "audit-signing-key.pem"
    settings.TUTELA_AUDIT_SIGNING_KEY_FILE = path
    return path


@pytest.fixture
def make_events(db: None) -> Callable[..., list[AccessEvent]]:
    """Append `count` events through access_record, one per subject s1, s2, ..."""
    made = 0

    def make(count: int, **overrides: Any) -> list[AccessEvent]:
        nonlocal made
        events = []
        for _ in range(count):
            made += 1
            fields: dict[str, Any] = {
                "actor": SAM,
                "subject": f"s{made}",
                "categories": ["user.contact.email", "user.name"],
                "purpose": "customer_support",
                "action": "read",
                "detail": f"customers.Customer#{made}",
            }
            fields.update(overrides)
            events.append(AccessEvent.objects.get(sequence=access_record(**fields)))
        return events

    return make


def raw(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    """Run SQL straight at the database, as an attacker with a database login would."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def _sqlite_trigger_sql() -> list[str]:
    migration = importlib.import_module("tutela.audit.migrations.0002_append_only_triggers")
    statements: list[str] = []
    for table in TABLES:
        text = migration.SQLITE_TRIGGERS.format(table=table)
        statements.extend(part + "END;" for part in text.split("END;")[:-1])
    return statements


@contextmanager
def triggers_off() -> Iterator[None]:
    """Switch the append-only triggers off (PostgreSQL: disable; SQLite: drop and recreate)."""
    if connection.vendor == "postgresql":
        for table in TABLES:
            raw(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    else:
        for name in TRIGGERS["sqlite"]:
            raw(f"DROP TRIGGER {name}")
    try:
        yield
    finally:
        if connection.vendor == "postgresql":
            for table in TABLES:
                raw(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        else:
            for statement in _sqlite_trigger_sql():
                raw(statement)


def tamper(*statements: tuple[str, list[Any]] | str) -> None:
    """Run raw SQL with the triggers off."""
    with triggers_off():
        for statement in statements:
            if isinstance(statement, str):
                raw(statement)
            else:
                raw(*statement)
