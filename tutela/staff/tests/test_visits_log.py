"""The privacy officer reviews the visits log; every page read is access-logged (R7, R8, R38)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tutela.accounts.models import User
from tutela.audit.api import AccessEvent
from tutela.customers.models import Customer
from tutela.visits.models import Visit

LOG = "/staff/visits/"


def visit(
    ip: str, subject_id: uuid.UUID | None = None, *, days_ago: int = 0, **extra: Any
) -> Visit:
    seen = timezone.now() - timedelta(days=days_ago)
    return Visit.objects.create(
        ip_address=ip,
        subject_id=subject_id,
        path_group=extra.pop("path_group", "accounts"),
        bucket=seen.replace(minute=0, second=0, microsecond=0),
        first_seen=seen,
        last_seen=seen,
        request_count=extra.pop("request_count", 1),
        **extra,
    )


def shown(response: Any) -> set[str]:
    return {v.ip_address for v, _ in response.context["rows"]}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["support", "marketing", "finance"])
def test_other_roles_cannot_see_the_visits_log(
    client: Client, make_staff: Callable[..., User], role: str
) -> None:
    """R8: least privilege; only the role that reviews security logs."""
    visit("203.0.113.5")
    client.force_login(make_staff(role=role))
    assert client.get(LOG).status_code == 403
    console = client.get("/staff/").content
    assert b'href="/staff/visits/"' not in console and b"Visits log" not in console
    assert not AccessEvent.objects.exists()


@pytest.mark.django_db
def test_customers_and_anonymous_visitors_cannot_see_it(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    visit("203.0.113.5")
    response = client.get(LOG)
    assert response.status_code == 302 and response["Location"].startswith("/staff/login/")
    client.force_login(make_customer().user)
    assert client.get(LOG).status_code == 403


@pytest.mark.django_db
def test_the_privacy_officer_sees_the_log_and_each_person_shown_gets_an_event(
    client: Client, make_customer: Callable[..., Customer], make_staff: Callable[..., User]
) -> None:
    ada, bob = make_customer(), make_customer()
    visit("203.0.113.5", ada.subject_id, request_count=7)
    visit("203.0.113.6", bob.subject_id, path_group="feedback")
    visit("198.51.100.9", rejected_count=40, request_count=40)
    client.force_login(make_staff(role="privacy_officer", name="Dana"))
    assert b'href="/staff/visits/"' in client.get("/staff/").content
    response = client.get(LOG)
    assert response.status_code == 200
    page = response.content.decode()
    assert shown(response) == {"203.0.113.5", "203.0.113.6", "198.51.100.9"}
    assert f'href="/staff/customers/{ada.pk}/"' in page and "Not signed in" in page
    events = AccessEvent.objects.filter(detail="visits log")
    assert {e.subject for e in events} == {str(ada.subject_id), str(bob.subject_id)}
    for event in events:
        assert event.actor_label == "Dana (privacy officer)"
        assert event.purpose == "security_fraud_prevention"
        assert "ip_address" in event.category_keys and "usage_data" in event.category_keys


@pytest.mark.django_db
def test_an_address_finds_its_rows_and_the_older_ones_cut_to_its_network(
    client: Client, make_staff: Callable[..., User]
) -> None:
    visit("203.0.113.5")
    visit("203.0.113.0", days_ago=40, ip_truncated=True)
    visit("203.0.113.6")
    visit("2001:db8:abcd:1::5")
    visit("2001:db8:abcd::", days_ago=50, ip_truncated=True)
    client.force_login(make_staff(role="privacy_officer"))
    assert shown(client.get(LOG, {"ip": "203.0.113.5"})) == {"203.0.113.5", "203.0.113.0"}
    assert shown(client.get(LOG, {"ip": "2001:DB8:ABCD:1:0::5"})) == {
        "2001:db8:abcd:1::5",
        "2001:db8:abcd::",
    }
    network = client.get(LOG, {"ip": "203.0.113.0"})
    assert shown(network) == {"203.0.113.0"} and "network only" in network.content.decode()


@pytest.mark.django_db
def test_a_customer_page_links_to_their_visits(
    client: Client, make_customer: Callable[..., Customer], make_staff: Callable[..., User]
) -> None:
    ada, bob = make_customer(), make_customer()
    visit("203.0.113.5", ada.subject_id)
    visit("203.0.113.5", bob.subject_id)
    client.force_login(make_staff(role="privacy_officer"))
    link = f"/staff/visits/?subject={ada.subject_id}"
    assert link in client.get(f"/staff/customers/{ada.pk}/").content.decode()
    response = client.get(LOG, {"subject": str(ada.subject_id)})
    assert [v.subject_id for v, _ in response.context["rows"]] == [ada.subject_id]
    assert set(
        AccessEvent.objects.filter(detail="visits log").values_list("subject", flat=True)
    ) == {str(ada.subject_id)}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("ip", "203.0.113.999", "Enter a full IPv4 or IPv6 address"),
        ("ip", "203.0.113.0/24", "Enter a full IPv4 or IPv6 address"),
        ("ip", "1.2.3.4\x00", "Null characters are not allowed."),
        ("subject", "ada@example.com", "Enter a subject id as shown in the log"),
    ],
)
def test_a_bad_filter_names_the_field_and_shows_nothing(
    client: Client,
    make_customer: Callable[..., Customer],
    make_staff: Callable[..., User],
    field: str,
    value: str,
    message: str,
) -> None:
    """R40: the error sits on its field; nothing is searched, shown or logged."""
    visit("203.0.113.5", make_customer().subject_id)
    client.force_login(make_staff(role="privacy_officer"))
    response = client.get(LOG, {field: value})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field] and message in " ".join(errors[field])
    assert response.context["page"] is None
    assert "203.0.113.5" not in response.content.decode()
    assert not AccessEvent.objects.exists()


@pytest.mark.django_db
def test_the_page_costs_the_same_queries_for_any_number_of_people(
    client: Client, make_customer: Callable[..., Customer], make_staff: Callable[..., User]
) -> None:
    """No query per row (N+1): a count, the page, one customer look-up and one log batch."""
    customers = [make_customer() for _ in range(5)]
    client.force_login(make_staff(role="privacy_officer"))
    client.get("/staff/")  # settle the session
    for customer in customers[:2]:
        visit("203.0.113.5", customer.subject_id)
    with CaptureQueriesContext(connection) as two:
        client.get(LOG)
    for customer in customers[2:]:
        visit("203.0.113.6", customer.subject_id)
    visit("198.51.100.1")
    with CaptureQueriesContext(connection) as six:
        assert len(client.get(LOG).context["rows"]) == 6
    assert len(six.captured_queries) == len(two.captured_queries)
