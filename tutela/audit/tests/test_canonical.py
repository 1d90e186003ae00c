"""The documented encoding: known hashes, and SQL and Python builders agree byte for byte (R7)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection

from tutela.audit.api import Actor, access_record, audit_verify
from tutela.audit.canonical import GENESIS_HASH, encode_record, encode_tail, event_hash
from tutela.audit.chain import records

# The worked example of docs/audit.md, so an auditor can test their own implementation.
DOC_TAIL = encode_tail(
    occurred_at="2025-11-25T15:54:00.000000Z", actor_kind="staff", actor_id=7,
    actor_label="Sam (support)", actor_role="support", action="read",
    purpose="customer_support", categories="user.contact.email,user.name",
    request_id="3f2a9c1e", ip="203.0.113.9", detail="customers.Customer#42",
)  # fmt: skip
DOC_HASH_1 = "6ec8dccee85a334b94b43ccf9c902235b251fe78bbbe8063fbc59b14efa1a40c"
DOC_HASH_2 = "b18a89c758063e1c8de2c442378726c777b29939aec463303597dc2e0f736dae"


def test_the_documented_example_hashes_to_the_documented_values() -> None:
    first = event_hash(GENESIS_HASH, encode_record(1, "c-8f14e45f", DOC_TAIL))
    assert first.hex() == DOC_HASH_1
    tail = encode_tail(
        occurred_at="2025-11-25T15:54:01.250000Z", actor_kind="system", actor_id=None,
        actor_label="retention_sweep", actor_role="job", action="delete", purpose="retention",
        categories="user.name", request_id="", ip="", detail="batch of 500",
    )  # fmt: skip
    assert event_hash(first, encode_record(2, "c-45c48cce", tail)).hex() == DOC_HASH_2


@pytest.mark.django_db
def test_the_database_builds_exactly_the_records_python_builds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """audit_verify's fast path (records built in SQL) must equal the reference encoding,
    whatever the text: accents, quotes, percent signs, empty fields, a whole second."""
    access_record(
        actor=Actor.staff(id=7, first_name="Zoë 'Zed' 100%", role="support"),
        subject="c:1", categories=["user.name"], purpose="customer_support", action="read",
        detail='Ünïcödé — "quoted" %s %% \\ 中文 🙂',
    )  # fmt: skip
    whole_second = datetime(2025, 3, 30, 1, 0, 0, tzinfo=UTC)
    monkeypatch.setattr("tutela.audit.services.timezone.now", lambda: whole_second)
    access_record(
        actor=Actor.system("export"), subject="c-2", categories=["user.contact.email"],
        purpose="dsr_access", action="export",
    )  # fmt: skip
    fast = list(records(connection))
    reference = list(records(connection, reference=True))
    assert len(fast) == 2
    assert fast == reference
    assert b"2025-03-30T01:00:00.000000Z" in fast[1][1]
    assert audit_verify().ok and audit_verify(reference=True).ok
