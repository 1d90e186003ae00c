"""Rate limits on forms and sign-in, counted in the cache by the trusted client address (R4)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache, caches
from django.test import Client

from tutela.accounts.models import SecurityEvent
from tutela.conftest import DEMO_PASSWORD
from tutela.customers.models import Customer, ProfileChange
from tutela.customers.views import PROFILE_EDIT_RATE
from tutela.feedback.models import ProblemReport
from tutela.feedback.views import PROBLEM_REPORT_RATE
from tutela.visits.tests.ratelimits import fresh_rate_window

REPORT = "/feedback/problems/new/"
PROFILE = "/account/profile/"


def report(n: int) -> dict[str, str]:
    return {"about": "site", "summary": f"Problem {n}", "details": "The page is blank."}


def fresh_report_window(remote_addr: str = "127.0.0.1") -> None:
    fresh_rate_window(
        group="feedback.problem_report", key="ip", rate=PROBLEM_REPORT_RATE, remote_addr=remote_addr
    )


@pytest.mark.django_db
def test_the_public_form_is_refused_with_a_429_page_over_its_limit(client: Client) -> None:
    """The 11th report in ten minutes from one address: 429, a page that says why and what to
    do, and nothing stored."""
    fresh_report_window()
    for n in range(10):
        assert client.post(REPORT, report(n)).status_code == 302
    refused = client.post(REPORT, report(10))
    assert refused.status_code == 429
    page = refused.content.decode()
    assert "<h1>Too many attempts</h1>" in page
    assert "Nothing from your last attempt was saved" in page
    assert ProblemReport.objects.count() == 10
    # Reading the form is not limited; another address has its own allowance.
    assert client.get(REPORT).status_code == 200
    fresh_report_window("192.0.2.8")
    assert client.post(REPORT, report(11), REMOTE_ADDR="192.0.2.8").status_code == 302


@pytest.mark.django_db
def test_a_forged_forwarded_for_does_not_buy_a_fresh_allowance(
    client: Client, settings: Any
) -> None:
    """The limit counts the address tutela.core.http.client_ip trusts, not what a client says;
    behind a trusted proxy each client counts on its own, not all as the proxy."""
    fresh_report_window()
    for n in range(10):
        client.post(REPORT, report(n), HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    assert client.post(REPORT, report(10), HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 429
    settings.TUTELA_TRUSTED_PROXY_COUNT = 1
    fresh_report_window("198.51.100.7")
    forwarded = client.post(REPORT, report(11), HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert forwarded.status_code == 302


@pytest.mark.django_db
def test_the_profile_form_is_limited_per_account(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    """Each saved change writes history and the access log: ten a ten minutes per account."""
    ada, bob = make_customer(), make_customer()
    client.force_login(ada.user)
    form = client.get(PROFILE).context["form"]
    data = {name: form.initial.get(name) or "" for name in form.fields}
    fresh_rate_window(
        group="customers.profile_edit", key="user", rate=PROFILE_EDIT_RATE, user=ada.user
    )
    for n in range(10):
        assert client.post(PROFILE, {**data, "city": f"Town {n}"}).status_code == 302
    refused = client.post(PROFILE, {**data, "city": "One too many"})
    assert refused.status_code == 429 and b"Too many attempts" in refused.content
    assert ProfileChange.objects.filter(customer=ada).count() == 10
    ada.refresh_from_db()
    assert ada.city == "Town 9"
    # htmx does not swap an error into the page: it is told to reload, and the message waits.
    swapped = client.post(PROFILE, {**data, "city": "Again"}, HTTP_HX_REQUEST="true")
    assert swapped.status_code == 429 and swapped["HX-Refresh"] == "true"
    assert "too many times" in client.get("/account/").content.decode()
    # Bob, on the same address, has his own allowance.
    client.force_login(bob.user)
    fresh_rate_window(
        group="customers.profile_edit", key="user", rate=PROFILE_EDIT_RATE, user=bob.user
    )
    bob_form = client.get(PROFILE).context["form"]
    bob_data = {name: bob_form.initial.get(name) or "" for name in bob_form.fields}
    assert client.post(PROFILE, {**bob_data, "city": "Cardiff"}).status_code == 302


@pytest.mark.django_db
def test_repeated_failed_sign_ins_from_one_address_are_refused(
    client: Client, make_customer: Callable[..., Customer], settings: Any
) -> None:
    """allauth's limit (ACCOUNT_RATE_LIMITS login_failed, 10 a minute per address) across
    different accounts, counted by the project's client address: behind a proxy another
    client can still sign in while the guesser is refused."""
    settings.TUTELA_TRUSTED_PROXY_COUNT = 1
    make_customer(email="ada@example.com")
    guesser = "203.0.113.50"
    for n in range(10):
        response = client.post(
            "/accounts/login/",
            {"login": f"user{n}@example.com", "password": "nope"},
            HTTP_X_FORWARDED_FOR=guesser,
        )
        assert "Too many failed login attempts" not in response.content.decode()
    refused = client.post(
        "/accounts/login/",
        {"login": "ada@example.com", "password": DEMO_PASSWORD},
        HTTP_X_FORWARDED_FOR=guesser,
    )
    assert refused.status_code in (200, 429)
    assert "Too many failed login attempts" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    failures = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.SIGN_IN_FAILED)
    assert set(failures.values_list("ip_address", flat=True)) == {"203.0.113.50"}

    other = Client()
    signed_in = other.post(
        "/accounts/login/",
        {"login": "ada@example.com", "password": DEMO_PASSWORD},
        HTTP_X_FORWARDED_FOR="198.51.100.20",
    )
    assert signed_in.status_code == 302 and "_auth_user_id" in other.session


@pytest.mark.django_db
def test_the_counters_live_in_the_cache_that_cache_url_names(client: Client) -> None:
    """CACHE_URL picks Redis (shared by every process) or the local-memory default; clearing
    that cache clears the limits, so they are kept nowhere else."""
    backend = type(caches["default"]).__name__
    expected = (
        "RedisCache" if os.environ.get("CACHE_URL", "").startswith("redis") else "LocMemCache"
    )
    assert backend == expected
    fresh_report_window()
    for n in range(10):
        client.post(REPORT, report(n))
    assert client.post(REPORT, report(10)).status_code == 429
    cache.clear()
    assert client.post(REPORT, report(10)).status_code == 302
