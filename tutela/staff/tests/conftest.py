"""Fixtures for the staff tests. Kept here, not in tutela/conftest.py: every app's tests import
that module, and it must not import the top layer (import-linter)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tutela.accounts.api import User
from tutela.conftest import DEMO_PASSWORD
from tutela.staff.services import staff_member_create


@pytest.fixture
def make_staff(db: None) -> Callable[..., User]:
    """Create a staff member with one role (tutela/staff/roles.py) through the real service."""
    counter = iter(range(1, 10_000))

    def make(
        role: str = "support",
        email: str | None = None,
        name: str = "Sam",
        password: str = DEMO_PASSWORD,
    ) -> User:
        return staff_member_create(
            email=email or f"staff{next(counter)}@c-mes.example",
            name=name,
            role=role,
            password=password,
            actor="test",
        )

    return make
