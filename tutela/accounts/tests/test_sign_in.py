"""Sign-in security: IP logging (R2), rate limits and session rotation (R4)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core import mail
from django.test import Client

from tutela.accounts.models import SecurityEvent
from tutela.conftest import DEMO_PASSWORD
from tutela.customers.models import Customer


@pytest.mark.django_db
def test_sign_in_is_logged_with_the_ip_and_rotates_the_session(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer(email="ada@example.com")
    client.get("/accounts/login/")
    before = client.cookies["sessionid"].value if "sessionid" in client.cookies else None
    response = client.post(
        "/accounts/login/", {"login": "ada@example.com", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert client.cookies["sessionid"].value != before
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.SIGN_IN)
    assert (event.user, event.ip_address, event.realm) == (customer.user, "127.0.0.1", "customer")


@pytest.mark.django_db
def test_forwarded_for_is_ignored_unless_a_proxy_is_trusted(
    client: Client, make_customer: Callable[..., Customer], settings: object
) -> None:
    """A client cannot choose the IP we log by sending X-Forwarded-For."""
    make_customer(email="ada@example.com")
    client.post(
        "/accounts/login/",
        {"login": "ada@example.com", "password": "wrong password"},
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    assert SecurityEvent.objects.get().ip_address == "127.0.0.1"


@pytest.mark.django_db
def test_trusted_proxy_hop_gives_the_client_address(
    client: Client, make_customer: Callable[..., Customer], settings: object
) -> None:
    settings.TUTELA_TRUSTED_PROXY_COUNT = 1  # type: ignore[attr-defined]
    make_customer(email="ada@example.com")
    client.post(
        "/accounts/login/",
        {"login": "ada@example.com", "password": "wrong password"},
        HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.9",
    )
    assert SecurityEvent.objects.get().ip_address == "203.0.113.9"


@pytest.mark.django_db
def test_wrong_passwords_are_logged_and_then_rate_limited(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    """R2 + R4: each failure logged with the IP; the sixth try in 5 minutes is refused."""
    customer = make_customer(email="ada@example.com")
    for _ in range(5):
        response = client.post("/accounts/login/", {"login": "ada@example.com", "password": "nope"})
        assert response.status_code == 200
        assert "not correct" in response.content.decode()
    failures = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.SIGN_IN_FAILED)
    assert failures.count() == 5
    assert set(failures.values_list("ip_address", flat=True)) == {"127.0.0.1"}
    assert set(failures.values_list("user", flat=True)) == {customer.user.pk}

    # Even the right password is refused while the limit holds: the attacker learns nothing.
    limited = client.post(
        "/accounts/login/", {"login": "ada@example.com", "password": DEMO_PASSWORD}
    )
    assert "_auth_user_id" not in client.session
    assert limited.status_code in (200, 429)
    assert "Too many failed login attempts" in limited.content.decode()


@pytest.mark.django_db
def test_failed_sign_in_for_an_unknown_address_is_logged_without_the_address(
    client: Client,
) -> None:
    client.post("/accounts/login/", {"login": "nobody@example.com", "password": "whatever123"})
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.SIGN_IN_FAILED)
    assert event.user is None and event.ip_address == "127.0.0.1"


@pytest.mark.django_db
def test_password_reset_request_and_completion_are_logged(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    """R2: password reset records the IP, both the request and the new password."""
    customer = make_customer(email="ada@example.com")
    client.post("/accounts/password/reset/", {"email": "ada@example.com"})
    assert SecurityEvent.objects.filter(
        kind=SecurityEvent.Kind.PASSWORD_RESET_REQUESTED, user=customer.user, ip_address="127.0.0.1"
    ).exists()
    body = mail.outbox[-1].body
    path = next(word for word in body.split() if "/accounts/password/reset/key/" in word)
    path = path.split("testserver", 1)[1]
    form_page = client.get(path, follow=True)
    new_password = "another long passphrase"
    client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else path,
        {"password1": new_password, "password2": new_password},
    )
    assert SecurityEvent.objects.filter(
        kind=SecurityEvent.Kind.PASSWORD_RESET_DONE, user=customer.user
    ).exists()
    client.logout()
    assert (
        client.post(
            "/accounts/login/", {"login": "ada@example.com", "password": new_password}
        ).status_code
        == 302
    )


@pytest.mark.django_db
def test_sign_out_is_logged(client: Client, make_customer: Callable[..., Customer]) -> None:
    customer = make_customer(email="ada@example.com")
    client.post("/accounts/login/", {"login": "ada@example.com", "password": DEMO_PASSWORD})
    client.post("/accounts/logout/")
    assert SecurityEvent.objects.filter(
        kind=SecurityEvent.Kind.SIGN_OUT, user=customer.user
    ).exists()
    assert "_auth_user_id" not in client.session
