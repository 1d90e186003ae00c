"""A customer sees who accessed their data, when and why (R7; staff by role and first name)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.template.loader import render_to_string

from tutela.audit.api import (
    AccessEvent,
    Actor,
    access_events_for_actor,
    access_events_for_subject,
    access_record,
)

pytestmark = pytest.mark.django_db
Events = Callable[..., list[AccessEvent]]


def log(subject: str, actor: Actor, **fields: Any) -> int:
    values: dict[str, Any] = {"categories": ["user.name"], "purpose": "customer_support",
                              "action": "read"}  # fmt: skip
    values.update(fields)
    return access_record(actor=actor, subject=subject, **values)


def test_a_subject_sees_only_their_own_events_newest_first_in_one_query(
    django_assert_num_queries: Any,
) -> None:
    sam = Actor.staff(id=7, first_name="Sam", role="support")
    log("c-ada", sam)
    log("c-grace", sam)
    log("c-ada", Actor.system("retention_sweep"), action="delete", purpose="retention")
    with django_assert_num_queries(1):
        events = access_events_for_subject("c-ada", limit=10)
    assert [(e.sequence, e.actor_label) for e in events] == [
        (3, "retention_sweep"),
        (1, "Sam (support)"),
    ]
    assert len(access_events_for_subject("c-ada", limit=1)) == 1
    assert [e.subject for e in access_events_for_actor(actor_kind="staff", actor_id=7)] == [
        "c-grace", "c-ada"
    ]  # fmt: skip


def test_the_access_table_shows_when_who_what_why_and_the_action() -> None:
    log("c-ada", Actor.staff(id=7, first_name="Sam", role="support"),
        categories=["user.contact.email", "user.name"])  # fmt: skip
    log("c-ada", Actor.customer(id=42), action="change", purpose="account")
    html = render_to_string(
        "audit/_access_table.html",
        {
            "events": access_events_for_subject("c-ada"),
            "purpose_labels": {"customer_support": "Answering your support requests"},
            "category_labels": {"user.contact.email": "Email address"},
        },
    )
    assert "Sam (support)" in html and "you" in html
    assert "Email address, user.name" in html
    assert "Answering your support requests" in html and "account" in html
    assert "Viewed" in html and "Changed" in html
    assert "Nobody has accessed" in render_to_string("audit/_access_table.html", {"events": []})
