"""The database itself refuses to change or remove access-log rows (R7: append-only)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from tutela.audit.api import AccessEvent, audit_seal
from tutela.audit.tests.conftest import SAM, raw
from tutela.audit.triggers import missing_triggers

pytestmark = pytest.mark.django_db
Events = Callable[..., list[AccessEvent]]

postgres_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL trigger")
sqlite_only = pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite trigger")


def refused(sql: str) -> str:
    """Run `sql` in a savepoint; return the database's refusal message."""
    with pytest.raises(DatabaseError) as error, transaction.atomic():
        raw(sql)
    return str(error.value)


@postgres_only
def test_postgresql_trigger_refuses_update_delete_and_truncate(make_events: Events) -> None:
    make_events(3)
    audit_seal(actor=SAM)
    assert "append-only: UPDATE refused" in refused(
        "UPDATE audit_accessevent SET actor_label = 'x' WHERE sequence = 2"
    )
    assert "append-only: DELETE refused" in refused(
        "DELETE FROM audit_accessevent WHERE sequence = 3"
    )
    assert "append-only: TRUNCATE refused" in refused("TRUNCATE audit_accessevent")
    assert "append-only: UPDATE refused" in refused(
        "UPDATE audit_auditcheckpoint SET tree_size = 1"
    )
    assert "append-only: DELETE refused" in refused("DELETE FROM audit_auditcheckpoint")
    assert AccessEvent.objects.count() == 3
    assert missing_triggers(connection) == []


@sqlite_only
def test_sqlite_trigger_refuses_update_and_delete(make_events: Events) -> None:
    make_events(3)
    audit_seal(actor=SAM)
    assert "append-only: UPDATE refused" in refused(
        "UPDATE audit_accessevent SET actor_label = 'x' WHERE sequence = 2"
    )
    assert "append-only: DELETE refused" in refused("DELETE FROM audit_accessevent")
    assert "append-only: UPDATE refused" in refused(
        "UPDATE audit_auditcheckpoint SET tree_size = 1"
    )
    assert "append-only: DELETE refused" in refused("DELETE FROM audit_auditcheckpoint")
    assert AccessEvent.objects.count() == 3
    assert missing_triggers(connection) == []


def test_flush_still_empties_the_database_including_the_log(make_events: Events) -> None:
    """Django's flush (test runner, development resets) is the one sanctioned way past them."""
    make_events(3)
    audit_seal(actor=SAM)
    call_command("flush", interactive=False, verbosity=0)
    assert AccessEvent.objects.count() == 0
    # The exception ended with the flush: the table refuses deletion again.
    make_events(1)
    assert "append-only: DELETE refused" in refused("DELETE FROM audit_accessevent")


def test_transactional_tests_can_still_clean_up_after_logging(transactional_db: None) -> None:
    """Live-server and other transactional tests flush the database afterwards; the log's
    triggers must not break that teardown (it fails the test if they do)."""
    from tutela.audit.api import access_record

    access_record(
        actor=SAM, subject="s1", categories=["user.name"], purpose="customer_support",
        action="read",
    )  # fmt: skip
    assert AccessEvent.objects.count() == 1
