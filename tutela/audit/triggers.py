"""Database triggers that keep the access log append-only, and the one sanctioned way past them.

Migration 0002 installs (its SQL is frozen there):
- PostgreSQL: row triggers refusing UPDATE and DELETE, a statement trigger refusing TRUNCATE;
- SQLite: triggers refusing UPDATE and DELETE.

`manage.py flush` (Django's, which the test runner also calls between transactional tests)
empties every table, and must still work: it runs inside `audit_maintenance()`, which lets
TRUNCATE (PostgreSQL) and DELETE (SQLite) through for this connection only. That is a guard
against mistakes, not against a database owner, who can always drop a trigger: the hash chain
and the signed checkpoints are what make such tampering visible (docs/audit.md).

Note for later migrations: on SQLite, Django rebuilds a table to alter a column, which drops its
triggers; a migration that alters these tables must re-install them (copy 0002's SQL).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created

MAINTENANCE_FUNCTION = "tutela_audit_maintenance"  # called by the SQLite DELETE triggers
MAINTENANCE_SETTING = "tutela.audit_maintenance"  # read by the PostgreSQL TRUNCATE trigger

TABLES = ("audit_accessevent", "audit_auditcheckpoint")
TRIGGERS: dict[str, tuple[str, ...]] = {
    "postgresql": tuple(
        f"{table}_{suffix}" for table in TABLES for suffix in ("append_only", "no_truncate")
    ),
    "sqlite": tuple(
        f"{table}_{suffix}" for table in TABLES for suffix in ("no_update", "no_delete")
    ),
}

_maintenance: ContextVar[bool] = ContextVar("tutela_audit_maintenance", default=False)


def _maintenance_flag() -> int:
    return 1 if _maintenance.get() else 0


def register_sqlite_function(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """Give each SQLite connection the function its DELETE triggers consult.

    A connection without it (the sqlite3 shell, say) gets "no such function" from the trigger,
    so the DELETE is refused there too.
    """
    if connection.vendor == "sqlite":
        connection.connection.create_function(MAINTENANCE_FUNCTION, 0, _maintenance_flag)


def connect_signals() -> None:
    """Called from AuditConfig.ready()."""
    connection_created.connect(register_sqlite_function, dispatch_uid="tutela.audit.sqlite_fn")


@contextmanager
def audit_maintenance(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Let this connection empty the access-log tables (flush only; never for a single row)."""
    token = _maintenance.set(True)
    try:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"SET {MAINTENANCE_SETTING} = 'on'")
        yield
    finally:
        _maintenance.reset(token)
        if connection.vendor == "postgresql" and connection.connection is not None:
            with connection.cursor() as cursor:
                cursor.execute(f"RESET {MAINTENANCE_SETTING}")


def installed_triggers(connection: BaseDatabaseWrapper) -> set[str]:
    """The names of the append-only triggers present in the database."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D' "
                "AND tgrelid::regclass::text = ANY(%s)",
                [list(TABLES)],
            )
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            return set()
        return {name for (name,) in cursor.fetchall()}


def missing_triggers(connection: BaseDatabaseWrapper) -> list[str]:
    """The append-only triggers this database should have but does not (empty if all there)."""
    expected = TRIGGERS.get(connection.vendor, ())
    present = installed_triggers(connection)
    return [name for name in expected if name not in present]
