"""The audience is computed at send time, in one query, from consent in force minus the
suppression list and the processing blockers (R25, Art. 21(3))."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db.models import QuerySet

from tutela.campaigns.selectors import audience_exclusions, campaign_audience
from tutela.campaigns.tests.conftest import TEST_BLOCKER, VISITOR
from tutela.consent.api import (
    Channel,
    Subscriber,
    SuppressedAddress,
    email_suppress,
    newsletter_subscribe_request,
    newsletter_unsubscribe,
)
from tutela.customers.api import Customer
from tutela.policy.api import (
    Purpose,
    processing_blocked,
    processing_blocker_register,
    processing_blocker_unregister,
)


def audience_ids() -> set[Any]:
    return set(campaign_audience().values_list("pk", flat=True))


@pytest.mark.django_db
def test_the_audience_is_the_consented_and_nobody_else(
    subscribe: Callable[..., Subscriber],
    make_customer: Callable[..., Customer],
    objectors: set[int],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    consented = subscribe(make_customer())
    visitor = subscribe(email="vi@example.com")
    make_customer()  # never asked
    pending = make_customer()
    with django_capture_on_commit_callbacks(execute=True):  # asked, never confirmed
        newsletter_subscribe_request(
            agreed=True, channel=Channel.ACCOUNT_PAGE, customer=pending, actor=VISITOR
        )
    withdrawn = subscribe(make_customer())
    newsletter_unsubscribe(
        subscriber=withdrawn, channel=Channel.EMAIL_LINK, evidence="link", actor=VISITOR
    )
    suppressed_customer = make_customer()
    suppressed = subscribe(suppressed_customer)
    email_suppress(
        str(suppressed_customer.user.email),
        SuppressedAddress.Reason.COMPLAINT,
        subject_id=suppressed.subject_id,
    )
    objector = make_customer()
    blocked = subscribe(objector)
    objectors.add(objector.pk)

    assert Subscriber.objects.count() == 6
    assert audience_ids() == {consented.pk, visitor.pk}
    assert audience_exclusions() == {"suppressed": 1, TEST_BLOCKER: 1}
    # The objection lifted (the blocker no longer names them): back in the audience.
    objectors.clear()
    assert audience_ids() == {consented.pk, visitor.pk, blocked.pk}


@pytest.mark.django_db
def test_a_withdrawn_subscriber_is_excluded_from_the_next_send(
    subscribe: Callable[..., Subscriber], make_customer: Callable[..., Customer]
) -> None:
    """Issue 6's test: withdrawal takes effect at once for the next audience."""
    subscriber = subscribe(make_customer())
    assert audience_ids() == {subscriber.pk}
    newsletter_unsubscribe(
        subscriber=subscriber, channel=Channel.ACCOUNT_PAGE, evidence="button", actor=VISITOR
    )
    assert audience_ids() == set()
    subscribe(subscriber.customer)  # and consenting again brings them back
    assert audience_ids() == {subscriber.pk}


@pytest.mark.django_db
def test_the_audience_is_one_set_based_query_whatever_its_exclusions(
    subscribe: Callable[..., Subscriber],
    make_customer: Callable[..., Customer],
    objectors: set[int],
    django_assert_num_queries: Callable[..., Any],
) -> None:
    for _ in range(3):
        subscribe(make_customer())
    objector = make_customer()
    subscribe(objector)
    objectors.add(objector.pk)
    with django_assert_num_queries(1) as captured:
        ids = list(campaign_audience().values_list("pk", flat=True))
    assert len(ids) == 3
    sql = captured.captured_queries[0]["sql"].upper()
    # Consent, suppression and the blocker are subqueries of the one statement.
    assert sql.count("EXISTS") >= 3 and "CUSTOMERS_CUSTOMER" in sql


@pytest.mark.django_db
def test_blockers_apply_only_to_the_purposes_they_name(objectors: set[int]) -> None:
    # The test blocker names direct-marketing purposes only (as an objection to them does).
    assert [name for name, _ in processing_blocked("marketing_email", outer="subject_id")] == [
        TEST_BLOCKER
    ]
    assert processing_blocked("respond_to_requests", outer="subject_id") == []
    with pytest.raises(LookupError):
        processing_blocked("no_such_purpose", outer="subject_id")


def test_a_blocker_is_registered_once_with_a_plain_name() -> None:
    def rows(purpose: Purpose) -> QuerySet[Customer] | None:
        return None

    with pytest.raises(ValueError, match="lower-case"):
        processing_blocker_register("Objection!", subject="subject_id", rows=rows)
    processing_blocker_register("twice", subject="subject_id", rows=rows)
    try:
        with pytest.raises(ValueError, match="already registered"):
            processing_blocker_register("twice", subject="subject_id", rows=rows)
    finally:
        processing_blocker_unregister("twice")


@pytest.mark.django_db
def test_a_blocker_that_evaluates_its_rows_is_refused() -> None:
    """A list would become a Python loop over subjects; the hook demands a queryset."""
    processing_blocker_register(
        "evaluated",
        subject="subject_id",
        rows=lambda purpose: list(Customer.objects.all()),  # type: ignore[arg-type,return-value]
    )
    try:
        with pytest.raises(TypeError, match="unevaluated QuerySet"):
            campaign_audience()
    finally:
        processing_blocker_unregister("evaluated")
