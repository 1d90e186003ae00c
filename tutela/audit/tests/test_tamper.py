"""Tamper evidence: each kind of tampering is caught, naming the first bad event and why (R7).

The tests play an attacker with a database login: raw SQL with the triggers switched off.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tutela.audit.api import (
    AccessEvent,
    ChainBroken,
    audit_seal,
    audit_verify,
)
from tutela.audit.canonical import encode_record, encode_tail, event_hash
from tutela.audit.tests.conftest import SAM, raw, tamper
from tutela.audit.verify import VerifyReport

pytestmark = pytest.mark.django_db
Events = Callable[..., list[AccessEvent]]


@pytest.fixture(autouse=True, params=["set-based", "python"])
def verify_path(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, db: None
) -> Iterator[str]:
    """Every case runs through both ways audit_verify checks a stretch (R7): the set-based
    pass in the database (PostgreSQL only; in batches of 3 so batch boundaries are crossed),
    and the Python walk alone. After each set-based case, its report must equal the Python
    reference's, problem for problem, and the database pass must really have run."""
    from tutela.audit import dbverify, verify

    if request.param == "python":
        monkeypatch.setattr(dbverify, "supported", lambda connection: False)
        yield request.param
        return
    if not dbverify.supported(connection):
        pytest.skip("the set-based pass needs PostgreSQL 11 or later")
    monkeypatch.setattr(dbverify, "SQL_BATCH_ROWS", 3)
    results: list[object] = []
    in_database = verify._check_segment_in_database

    def spy(segment: Any) -> Any:
        results.append(in_database(segment))
        return results[-1]

    monkeypatch.setattr(verify, "_check_segment_in_database", spy)
    yield request.param
    results.clear()
    fast, reference = audit_verify(), audit_verify(reference=True)
    assert results, "the set-based pass did not run"
    assert (fast.problems, fast.events, fast.root) == (
        reference.problems,
        reference.events,
        reference.root,
    )
    if fast.ok:  # a sound log is never walked again in Python
        assert None not in results


def first_bad(report: VerifyReport) -> tuple[str, int | None]:
    problem = report.first_bad_event
    assert problem is not None, report.problems
    return problem.kind, problem.sequence


def forged_hash(sequence: int, prev: bytes, subject: str, label: str, time: str) -> bytes:
    """What an attacker who read docs/audit.md computes for a forged event."""
    tail = encode_tail(
        occurred_at=time, actor_kind="staff", actor_id=7, actor_label=label, actor_role="support",
        action="read", purpose="customer_support", categories="user.name", request_id="", ip="",
        detail="",
    )  # fmt: skip
    return event_hash(prev, encode_record(sequence, subject, tail))


def insert_forged(sequence: int, prev: bytes, digest: bytes, subject: str, label: str) -> None:
    tamper(
        (
            "INSERT INTO audit_accessevent (sequence, subject, occurred_at, actor_kind, actor_id,"
            " actor_label, actor_role, action, purpose, categories, request_id, ip, detail,"
            " prev_hash, hash) VALUES (%s, %s, %s, 'staff', 7, %s, 'support', 'read',"
            " 'customer_support', 'user.name', '', '', '', %s, %s)",
            [sequence, subject, "2025-01-01 00:00:00.000000", label, prev, digest],
        )
    )


def test_an_untouched_log_verifies(make_events: Events) -> None:
    make_events(10)
    audit_seal(actor=SAM)
    make_events(3)
    report = audit_verify()
    assert report.ok, report.problems
    assert (report.events, report.checkpoints) == (13, 1)


def test_an_edited_field_is_caught_at_that_event(make_events: Events) -> None:
    make_events(8)
    tamper("UPDATE audit_accessevent SET actor_label = 'Nobody (support)' WHERE sequence = 5")
    assert first_bad(audit_verify()) == ("edited", 5)


def test_an_edited_hash_column_is_caught_at_that_event(make_events: Events) -> None:
    make_events(4)
    tamper(("UPDATE audit_accessevent SET hash = %s WHERE sequence = 2", [bytes(32)]))
    assert first_bad(audit_verify()) == ("edited", 2)


def test_a_deleted_event_is_caught_as_missing(make_events: Events) -> None:
    make_events(8)
    tamper("DELETE FROM audit_accessevent WHERE sequence IN (4, 5)")
    report = audit_verify()
    assert first_bad(report) == ("missing", 4)
    assert "events 4..5 are missing" in report.problems[0].message


def test_a_long_run_of_deleted_events_is_caught_as_missing(make_events: Events) -> None:
    """Wider than a batch of the set-based pass: whole batches come back empty."""
    make_events(12)
    tamper("DELETE FROM audit_accessevent WHERE sequence BETWEEN 4 AND 9")
    report = audit_verify()
    assert first_bad(report) == ("missing", 4)
    assert "events 4..9 are missing" in report.problems[0].message


def test_a_deleted_event_with_the_rest_renumbered_is_caught(make_events: Events) -> None:
    make_events(6)
    tamper(
        "DELETE FROM audit_accessevent WHERE sequence = 3",
        "UPDATE audit_accessevent SET sequence = -(sequence - 1) WHERE sequence > 3",
        "UPDATE audit_accessevent SET sequence = -sequence WHERE sequence < 0",
    )
    assert first_bad(audit_verify()) == ("missing", 3)


def test_an_inserted_forged_event_is_caught_at_the_forgery(make_events: Events) -> None:
    """The forger computes a valid hash for their event and renumbers the rest; still caught."""
    events = make_events(6)
    prev = bytes(events[2].hash)  # the forgery goes in as event 4, after event 3
    digest = forged_hash(4, prev, "s99", "Eve (support)", "2025-01-01T00:00:00.000000Z")
    tamper(
        "UPDATE audit_accessevent SET sequence = -(sequence + 1) WHERE sequence >= 4",
        "UPDATE audit_accessevent SET sequence = -sequence WHERE sequence < 0",
    )
    insert_forged(4, prev, digest, "s99", "Eve (support)")
    assert AccessEvent.objects.get(sequence=4).actor_label == "Eve (support)"
    assert first_bad(audit_verify()) == ("inserted", 4)


def test_an_event_appended_with_a_wrong_hash_is_caught(make_events: Events) -> None:
    events = make_events(3)
    insert_forged(4, bytes(events[-1].hash), bytes(32), "s99", "Eve (support)")
    assert first_bad(audit_verify()) == ("edited", 4)


def test_an_event_replaced_and_rehashed_is_caught_by_the_next_link(make_events: Events) -> None:
    """The forgery's own hash is right; the next event still links to the original."""
    events = make_events(6)
    prev = bytes(events[2].hash)
    digest = forged_hash(4, prev, "s99", "Eve (support)", "2025-01-01T00:00:00.000000Z")
    tamper("DELETE FROM audit_accessevent WHERE sequence = 4")
    insert_forged(4, prev, digest, "s99", "Eve (support)")
    report = audit_verify()
    assert first_bad(report) == ("rewritten", 4)
    assert "event 4 was replaced and rehashed" in report.problems[0].message


def test_a_gap_bridged_by_a_relinked_rehashed_event_is_caught_as_missing(
    make_events: Events,
) -> None:
    """Every hash and link is right, only the numbering jumps: still a deleted event."""
    events = make_events(5)
    prev = bytes(events[2].hash)
    digest = forged_hash(5, prev, "s99", "Eve (support)", "2025-01-01T00:00:00.000000Z")
    tamper("DELETE FROM audit_accessevent WHERE sequence >= 4")
    insert_forged(5, prev, digest, "s99", "Eve (support)")
    report = audit_verify()
    assert first_bad(report) == ("missing", 4)
    assert "event 4 is missing (deleted)" in report.problems[0].message


def test_two_swapped_events_are_caught_as_reordered(make_events: Events) -> None:
    make_events(6)
    tamper(
        "UPDATE audit_accessevent SET sequence = -3 WHERE sequence = 3",
        "UPDATE audit_accessevent SET sequence = 3 WHERE sequence = 4",
        "UPDATE audit_accessevent SET sequence = 4 WHERE sequence = -3",
    )
    report = audit_verify()
    assert first_bad(report) == ("reordered", 3)
    assert "events 3 and 4 are out of order" in report.problems[0].message


def test_a_tail_cut_below_a_signed_checkpoint_is_caught(make_events: Events) -> None:
    make_events(10)
    audit_seal(actor=SAM)
    tamper("DELETE FROM audit_accessevent WHERE sequence > 7")
    report = audit_verify()
    assert first_bad(report) == ("truncated", 8)
    assert "events 8..10 are missing" in report.problems[0].message


def test_a_rewritten_and_rehashed_stretch_is_caught_by_the_signed_root(make_events: Events) -> None:
    """An attacker who recomputes the whole chain after an edit still cannot match the signature."""
    make_events(2)
    audit_seal(actor=SAM)
    make_events(6)
    audit_seal(actor=SAM)
    rows = raw("SELECT sequence, occurred_at FROM audit_accessevent ORDER BY sequence")
    assert len(rows) == 8
    statements: list[tuple[str, list[object]]] = []
    prev = bytes(raw("SELECT hash FROM audit_accessevent WHERE sequence = 2")[0][0])
    for event in AccessEvent.objects.filter(sequence__gte=3).order_by("sequence"):
        label = "Eve (support)" if event.sequence == 5 else event.actor_label
        tail = encode_tail(
            occurred_at=event.occurred_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            actor_kind=event.actor_kind, actor_id=event.actor_id, actor_label=label,
            actor_role=event.actor_role, action=event.action, purpose=event.purpose,
            categories=event.categories, request_id=event.request_id, ip=event.ip,
            detail=event.detail,
        )  # fmt: skip
        digest = event_hash(prev, encode_record(event.sequence, event.subject, tail))
        statements.append(
            (
                "UPDATE audit_accessevent SET actor_label = %s, prev_hash = %s, hash = %s "
                "WHERE sequence = %s",
                [label, prev, digest, event.sequence],
            )
        )
        prev = digest
    tamper(*statements)
    report = audit_verify()
    assert first_bad(report) == ("rewritten", 3)
    assert "events 3..8 no longer give the root" in report.problems[0].message


def test_a_forged_checkpoint_signature_is_caught(make_events: Events) -> None:
    make_events(5)
    audit_seal(actor=SAM)
    tamper(("UPDATE audit_auditcheckpoint SET signature = %s", [bytes(64)]))
    report = audit_verify()
    assert [(p.kind, p.checkpoint) for p in report.problems] == [("bad_signature", 5)]


def test_a_checkpoint_resigned_with_another_key_is_not_trusted(make_events: Events) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from tutela.audit.signing import key_id, public_key_bytes

    make_events(3)
    audit_seal(actor=SAM)
    stranger = Ed25519PrivateKey.generate()
    tamper(("UPDATE audit_auditcheckpoint SET key_id = %s", [key_id(public_key_bytes(stranger))]))
    assert [p.kind for p in audit_verify().problems] == ["unknown_key"]


def test_sealing_refuses_to_sign_a_broken_chain(make_events: Events) -> None:
    make_events(4)
    tamper("UPDATE audit_accessevent SET subject = 's99' WHERE sequence = 2")
    with pytest.raises(ChainBroken, match="event 2 was edited"):
        audit_seal(actor=SAM)


def test_audit_verify_command_reports_the_first_bad_event_and_exits_non_zero(
    make_events: Events, capsys: pytest.CaptureFixture[str]
) -> None:
    make_events(5)
    call_command("audit_verify")
    assert "OK: tree head" in capsys.readouterr().out
    tamper("UPDATE audit_accessevent SET purpose = 'marketing' WHERE sequence = 3")
    with pytest.raises(CommandError) as error:
        call_command("audit_verify")
    assert error.value.returncode == 1
    out = capsys.readouterr().out
    assert "FIRST BAD EVENT: 3 (edited)" in out


@pytest.mark.django_db(transaction=True)
def test_parallel_verification_finds_the_same_first_bad_event(
    make_events: Events, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With committed data, the stretches between checkpoints are checked in worker
    processes; the report is the same as checking them one after another."""
    from concurrent.futures import ProcessPoolExecutor

    from tutela.audit import verify

    pools: list[int] = []

    class CountingPool(ProcessPoolExecutor):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pools.append(kwargs["max_workers"])
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(verify, "ProcessPoolExecutor", CountingPool)
    for _ in range(3):
        make_events(40)
        audit_seal(actor=SAM)
    make_events(10)
    serial, parallel = audit_verify(workers=1), audit_verify(workers=3, parallel_from=0)
    assert serial.ok and parallel.ok
    assert (parallel.events, parallel.root) == (serial.events, serial.root) == (130, serial.root)
    tamper("UPDATE audit_accessevent SET ip = '198.51.100.7' WHERE sequence = 57")
    tamper("DELETE FROM audit_accessevent WHERE sequence = 101")
    serial, parallel = audit_verify(workers=1), audit_verify(workers=3, parallel_from=0)
    assert first_bad(parallel) == first_bad(serial) == ("edited", 57)
    assert [(p.kind, p.sequence) for p in parallel.problems] == [("edited", 57), ("missing", 101)]
    assert pools == [3, 3]  # the parallel runs did use worker processes
