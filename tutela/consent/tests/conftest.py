"""Fixtures for the consent tests: subscriptions built through the real services and links."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail

from tutela.accounts.api import User
from tutela.audit.api import Actor
from tutela.conftest import DEMO_PASSWORD
from tutela.consent.models import Channel, Subscriber
from tutela.consent.services import newsletter_confirm, newsletter_subscribe_request
from tutela.customers.models import Customer
from tutela.staff.services import staff_member_create

CONFIRM_LINK = re.compile(r"/consent/newsletter/confirm/([^/\s]+)/")
VISITOR = Actor.customer(id=None)


def last_confirm_token() -> str:
    """The token of the confirmation link in the last email sent."""
    match = CONFIRM_LINK.search(str(mail.outbox[-1].body))
    assert match, mail.outbox[-1].body
    return match.group(1)


@pytest.fixture
def make_staff(db: None) -> Callable[..., User]:
    """A staff member with one role, through the real service."""
    counter = iter(range(1, 10_000))

    def make(role: str = "support", name: str = "Sam") -> User:
        return staff_member_create(
            email=f"staff{next(counter)}@c-mes.example",
            name=name,
            role=role,
            password=DEMO_PASSWORD,
            actor="test",
        )

    return make


@pytest.fixture
def subscribe(
    db: None, django_capture_on_commit_callbacks: Callable[..., Any]
) -> Callable[..., Subscriber]:
    """Subscribe a customer or a visitor address the real way: request, emailed link, confirm."""

    def run(customer: Customer | None = None, email: str = "") -> Subscriber:
        with django_capture_on_commit_callbacks(execute=True):
            newsletter_subscribe_request(
                agreed=True,
                channel=Channel.ACCOUNT_PAGE if customer else Channel.WEB_FORM,
                customer=customer,
                email=email,
                actor=VISITOR,
            )
        newsletter_confirm(token=last_confirm_token(), actor=VISITOR)
        if customer is not None:
            return Subscriber.objects.get(customer=customer)
        return Subscriber.objects.get(email=email)

    return run
