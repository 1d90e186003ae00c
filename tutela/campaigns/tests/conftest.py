"""Fixtures for the campaign tests: subscribers made the real way (request, emailed link,
confirm), staff through the real service, and a test-only processing blocker."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core import mail
from django.db.models import QuerySet

from tutela.accounts.api import User
from tutela.audit.api import Actor
from tutela.campaigns.models import Campaign
from tutela.campaigns.services import campaign_create, campaign_send_start
from tutela.conftest import DEMO_PASSWORD
from tutela.consent.api import Channel, Subscriber, newsletter_confirm, newsletter_subscribe_request
from tutela.customers.api import Customer
from tutela.policy.api import Purpose, processing_blocker_register, processing_blocker_unregister
from tutela.staff.services import staff_member_create

CONFIRM_LINK = re.compile(r"/consent/newsletter/confirm/([^/\s]+)/")
VISITOR = Actor.customer(id=None)
PRIYA = Actor.staff(id=None, first_name="Priya", role="marketing")
TEST_BLOCKER = "test_objection"


@pytest.fixture
def subscribe(
    db: None, django_capture_on_commit_callbacks: Callable[..., Any]
) -> Callable[..., Subscriber]:
    """Subscribe a customer or a visitor's address: request, the emailed link, confirm."""

    def run(customer: Customer | None = None, email: str = "") -> Subscriber:
        with django_capture_on_commit_callbacks(execute=True):
            newsletter_subscribe_request(
                agreed=True,
                channel=Channel.ACCOUNT_PAGE if customer else Channel.WEB_FORM,
                customer=customer,
                email=email,
                actor=VISITOR,
            )
        match = CONFIRM_LINK.search(str(mail.outbox[-1].body))
        assert match, mail.outbox[-1].body
        newsletter_confirm(token=match.group(1), actor=VISITOR)
        mail.outbox.clear()  # the tests count campaign emails only
        if customer is not None:
            return Subscriber.objects.get(customer=customer)
        return Subscriber.objects.get(email=email)

    return run


@pytest.fixture
def make_staff(db: None) -> Callable[..., User]:
    """A staff member with one role, through the real service."""
    counter = iter(range(1, 10_000))

    def make(role: str = "marketing", name: str = "Priya") -> User:
        return staff_member_create(
            email=f"staff{next(counter)}@c-mes.example",
            name=name,
            role=role,
            password=DEMO_PASSWORD,
            actor="test",
        )

    return make


@pytest.fixture
def send_campaign(
    db: None, django_capture_on_commit_callbacks: Callable[..., Any]
) -> Callable[..., Campaign]:
    """Write a campaign and press send: the task runs at commit (the immediate backend)."""

    def run(subject: str = "Spring offers", html: str = "<p>Hello <b>all</b></p>") -> Campaign:
        campaign = campaign_create(
            subject=subject, text_body="Hello all.", html_body=html, actor=PRIYA
        )
        with django_capture_on_commit_callbacks(execute=True):
            campaign_send_start(campaign=campaign, actor=PRIYA)
        campaign.refresh_from_db()
        return campaign

    return run


@pytest.fixture
def objectors() -> Iterator[set[int]]:
    """A test-only processing blocker, standing in for issue 5's objection to direct
    marketing: the customers whose pk is in the returned set object to it."""
    blocked: set[int] = set()

    def rows(purpose: Purpose) -> QuerySet[Customer] | None:
        if not purpose.direct_marketing:
            return None
        return Customer.objects.filter(pk__in=blocked)

    processing_blocker_register(TEST_BLOCKER, subject="subject_id", rows=rows)
    try:
        yield blocked
    finally:
        processing_blocker_unregister(TEST_BLOCKER)
