"""Fixtures for the rights tests: staff members, signed-in customers, a stand-in export."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from tutela.accounts.api import User
from tutela.conftest import DEMO_PASSWORD
from tutela.customers.api import Customer
from tutela.staff.services import staff_member_create


@pytest.fixture
def make_staff(db: None) -> Callable[..., User]:
    """Create a staff member with one role through the real service."""
    counter = iter(range(1, 10_000))

    def make(role: str = "privacy_officer", name: str = "Dana", email: str | None = None) -> User:
        return staff_member_create(
            email=email or f"officer{next(counter)}@c-mes.example",
            name=name,
            role=role,
            password=DEMO_PASSWORD,
            actor="test",
        )

    return make


def sign_in(client: Client, customer: Customer, *, reauthenticate: bool = True) -> None:
    """Sign in through the real form and, by default, re-authenticate as allauth asks before
    sensitive actions (R5); it then counts as recent for a few minutes."""
    response = client.post(
        "/accounts/login/", {"login": customer.user.email, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302, response.content
    if reauthenticate:
        response = client.post("/accounts/reauthenticate/", {"password": DEMO_PASSWORD})
        assert response.status_code == 302, response.content


@dataclass(frozen=True)
class StandInExport:
    """A tiny stand-in for the export library's result, for tests of storage and delivery."""

    subject_id: str

    @property
    def category_keys(self) -> tuple[str, ...]:
        return ("name", "contact_email")

    def to_json(self) -> dict[str, Any]:
        return {"subject": self.subject_id, "data": {"name": "Ada Lovelace"}}

    def to_html(self) -> str:
        return f"<!doctype html><title>Your data</title><p>Subject {self.subject_id}: Ada</p>"


@pytest.fixture
def stand_in_collect() -> Callable[[str], StandInExport]:
    """export_collect's shape, without the export library."""
    return StandInExport
