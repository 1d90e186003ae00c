"""Appending to the access log: every field kept, chained in order, bad input refused (R7, R40)."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import RequestFactory

from tutela.audit.api import (
    AccessEntry,
    AccessEvent,
    Actor,
    AppendOnlyError,
    access_record,
    access_record_many,
    audit_verify,
)
from tutela.audit.canonical import (
    GENESIS_HASH,
    event_hash,
)
from tutela.audit.chain import event_record
from tutela.audit.tests.conftest import SAM

pytestmark = pytest.mark.django_db


def expected_hash(event: AccessEvent) -> bytes:
    """The hash docs/audit.md tells an auditor to compute, from the stored fields."""
    return event_hash(bytes(event.prev_hash), event_record(event))


def test_each_access_is_appended_with_who_whose_what_why_and_a_chained_hash(
    make_events: Callable[..., list[AccessEvent]],
) -> None:
    """R7: actor, subject, categories, purpose, action, time; hash over prev_hash + fields."""
    make_events(3)
    events = list(AccessEvent.objects.all())
    assert [e.sequence for e in events] == [1, 2, 3]
    first = events[0]
    assert (first.actor_kind, first.actor_id, first.actor_label, first.actor_role) == (
        "staff", 7, "Sam (support)", "support"
    )  # fmt: skip
    assert first.subject == "s1" and first.category_keys == ["user.contact.email", "user.name"]
    assert (first.purpose, first.action, first.detail) == (
        "customer_support", "read", "customers.Customer#1"
    )  # fmt: skip
    assert bytes(first.prev_hash) == GENESIS_HASH
    for before, event in itertools.pairwise(events):
        assert bytes(event.prev_hash) == bytes(before.hash)
    for event in events:
        assert bytes(event.hash) == expected_hash(event)


def test_the_request_gives_the_event_its_request_id_and_client_ip(db: None) -> None:
    """R7: origin of the access: the request id (joins to server logs) and the client IP."""
    request = RequestFactory().get("/staff/customers/1/", REMOTE_ADDR="2001:DB8::1")
    request.request_id = "req-12345678"  # type: ignore[attr-defined]
    sequence = access_record(
        actor=SAM, subject="s1", categories=["user.name"], purpose="customer_support",
        action="read", request=request,
    )  # fmt: skip
    stored = AccessEvent.objects.get()
    assert stored.sequence == sequence == 1
    assert stored.request_id == "req-12345678"
    assert stored.ip == "2001:db8::1"
    assert bytes(stored.hash) == expected_hash(stored)


def test_a_uuid_subject_id_is_stored_as_text(db: None) -> None:
    subject = uuid.UUID("1f0c2b9e-8d3a-4c55-9a0e-3f6b7c2d1e4a")
    access_record(
        actor=SAM, subject=subject, categories=["user.name"], purpose="customer_support",
        action="read",
    )  # fmt: skip
    assert AccessEvent.objects.get().subject == str(subject)
    assert audit_verify().ok


def test_categories_are_stored_sorted_once_each(db: None) -> None:
    access_record(
        actor=Actor.system("retention_sweep"), subject="s1", purpose="retention",
        categories=["user.name", "user.contact.email", "user.name"], action="delete",
    )  # fmt: skip
    assert AccessEvent.objects.get().categories == "user.contact.email,user.name"


@pytest.mark.parametrize(
    ("field", "override"),
    [
        ("subject", {"subject": "ada@example.com"}),
        ("subject", {"subject": ""}),
        ("categories", {"categories": []}),
        ("categories", {"categories": "user.name"}),
        ("categories", {"categories": ["User Name"]}),
        ("purpose", {"purpose": "marketing; drop table"}),
        ("action", {"action": "peek"}),
        ("detail", {"detail": "row 1\nforged line"}),
        ("detail", {"detail": "x" * 201}),
        ("actor label", {"actor": Actor(kind=Actor.system("x").kind, id=None, label="")}),
        ("actor", {"actor": "Sam"}),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_stores_nothing(
    field: str, override: dict[str, Any]
) -> None:
    """R40: a clear error naming the field; nothing appended."""
    fields: dict[str, Any] = {
        "actor": SAM, "subject": "s1", "categories": ["user.name"],
        "purpose": "customer_support", "action": "read",
    }  # fmt: skip
    fields.update(override)
    with pytest.raises(ValidationError) as error:
        access_record(**fields)
    assert field in error.value.message_dict
    assert AccessEvent.objects.count() == 0


def test_the_orm_refuses_to_change_or_remove_events(
    make_events: Callable[..., list[AccessEvent]],
) -> None:
    """R7 append-only: no update or delete through the app, and no unchained insert."""
    make_events(2)
    event = AccessEvent.objects.get(sequence=1)
    event.actor_label = "someone else"
    attempts: list[Callable[[], Any]] = [
        event.save,
        event.delete,
        lambda: AccessEvent.objects.filter(sequence=1).update(actor_label="x"),
        lambda: AccessEvent.objects.all().delete(),
        lambda: AccessEvent.objects.create(subject="s9", sequence=3),
        lambda: AccessEvent.objects.bulk_create([AccessEvent(subject="s9")]),
        lambda: AccessEvent.objects.bulk_update([event], ["actor_label"]),
    ]
    for attempt in attempts:
        with pytest.raises(AppendOnlyError, match="append-only"):
            attempt()
    assert AccessEvent.objects.get(sequence=1).actor_label == "Sam (support)"
    assert AccessEvent.objects.count() == 2


def test_a_bulk_append_chains_in_order_across_its_batches_and_after_single_events(
    make_events: Callable[..., list[AccessEvent]],
) -> None:
    """R7, bulk jobs: 12,001 events (three insert batches) continue the chain without a seam."""
    make_events(2)
    job = Actor.system("retention_sweep")
    appended = access_record_many(
        actor=job, subjects=(f"c{i}" for i in range(12_001)), categories=["user.name"],
        purpose="retention", action="delete", detail="sweep 2025-11",
    )  # fmt: skip
    assert appended == range(3, 12_004)
    mixed = access_record_many(
        actor=job,
        entries=[
            AccessEntry("c1", ["user.name"], "dsr_access", "export"),
            AccessEntry("c2", ["user.financial"], "legal_obligation", "read", "invoices: 12"),
        ],
    )
    assert mixed == range(12_004, 12_006)
    make_events(1)
    assert AccessEvent.objects.count() == 12_006
    report = audit_verify()
    assert report.ok, report.problems
    assert report.events == 12_006
    sample = AccessEvent.objects.get(sequence=12_005)
    assert (sample.subject, sample.detail, sample.actor_label) == (
        "c2",
        "invoices: 12",
        "retention_sweep",
    )
    assert bytes(sample.hash) == expected_hash(sample)


def test_a_bad_subject_in_the_middle_of_a_batch_stores_none_of_it(db: None) -> None:
    """R40/R41: all or nothing."""
    with pytest.raises(ValidationError, match="subject"):
        access_record_many(
            actor=Actor.system("export"), subjects=["c1", "c2", "not an id!", "c4"],
            categories=["user.name"], purpose="dsr_access", action="export",
        )  # fmt: skip
    assert AccessEvent.objects.count() == 0


def test_the_actor_is_a_label_not_a_link(db: None) -> None:
    """The event keeps "Sam (support)" and an id, so it outlives Sam's account (no foreign key)."""
    field = AccessEvent._meta.get_field("actor_id")
    assert not field.is_relation
    sequence = access_record(
        actor=Actor.customer(id=42), subject="s42", categories=["user.name"],
        purpose="account", action="change",
    )  # fmt: skip
    event = AccessEvent.objects.get(sequence=sequence)
    assert (event.actor_label, event.actor_kind, event.actor_id) == ("you", "customer", 42)
    assert connection.vendor in {"sqlite", "postgresql"}
