"""Staff and customers sign in at separate doors, both through allauth (R2, R4, R5, R8)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.test import Client

from tutela.accounts.models import SecurityEvent, User
from tutela.conftest import DEMO_PASSWORD
from tutela.customers.models import Customer


@pytest.mark.django_db
def test_staff_sign_in_lands_on_the_console_and_is_logged_as_staff(
    client: Client, make_staff: Callable[..., User]
) -> None:
    """R2: the staff sign-in is in the security log with the IP, realm staff."""
    member = make_staff(role="privacy_officer", email="dana@c-mes.example", name="Dana")
    page = client.get("/staff/login/")
    assert page.status_code == 200 and b"Staff sign-in" in page.content
    response = client.post(
        "/staff/login/", {"login": "dana@c-mes.example", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/staff/"
    assert client.session["_auth_user_id"] == str(member.pk)
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.SIGN_IN)
    assert (event.user, event.realm, event.ip_address) == (member, "staff", "127.0.0.1")
    console = client.get("/staff/").content.decode()
    assert "Privacy officer" in console and "Dana" in console


@pytest.mark.django_db
def test_the_staff_door_refuses_a_customer(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    """R8: a customer's right password at the staff door signs nobody in and is logged."""
    customer = make_customer(email="ada@example.com")
    response = client.post("/staff/login/", {"login": "ada@example.com", "password": DEMO_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.SIGN_IN_REFUSED)
    assert (event.user, event.realm, event.ip_address) == (customer.user, "staff", "127.0.0.1")
    assert not SecurityEvent.objects.filter(kind=SecurityEvent.Kind.SIGN_IN).exists()
    assert client.get("/staff/").status_code == 302


@pytest.mark.django_db
def test_the_customer_door_refuses_staff(client: Client, make_staff: Callable[..., User]) -> None:
    """R8: staff cannot sign in at the customer sign-in, even with the right password."""
    member = make_staff(role="support", email="sam@c-mes.example")
    response = client.post(
        "/accounts/login/", {"login": "sam@c-mes.example", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/staff/login/"
    assert "_auth_user_id" not in client.session
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.SIGN_IN_REFUSED)
    assert (event.user, event.realm) == (member, "customer")
    page = client.get("/staff/login/").content.decode()
    assert "Staff accounts sign in on the staff sign-in page." in page


@pytest.mark.django_db
def test_wrong_staff_passwords_are_logged_and_rate_limited(
    client: Client, make_staff: Callable[..., User]
) -> None:
    """R2 + R4: the staff door has allauth's per-account limit (5 failures in 5 minutes)."""
    member = make_staff(email="sam@c-mes.example")
    for _ in range(5):
        response = client.post("/staff/login/", {"login": "sam@c-mes.example", "password": "nope"})
        assert response.status_code == 200
    failures = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.SIGN_IN_FAILED)
    assert failures.count() == 5
    assert set(failures.values_list("user", "realm")) == {(member.pk, "staff")}
    limited = client.post(
        "/staff/login/", {"login": "sam@c-mes.example", "password": DEMO_PASSWORD}
    )
    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in limited.content.decode()


@pytest.mark.django_db
def test_staff_with_an_authenticator_must_give_the_code(
    client: Client, make_staff: Callable[..., User]
) -> None:
    """R5: MFA applies at the staff door, and the code step still ends on the console."""
    member = make_staff(role="finance", email="tom@c-mes.example", name="Tom")
    secret = generate_totp_secret()
    TOTP.activate(member, secret)
    step_one = client.post(
        "/staff/login/", {"login": "tom@c-mes.example", "password": DEMO_PASSWORD}
    )
    assert step_one.status_code == 302 and step_one["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    done = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert done.status_code == 302 and done["Location"] == "/staff/"
    assert client.session["_auth_user_id"] == str(member.pk)
    assert b"enrol a passkey" not in client.get("/staff/").content.lower()


@pytest.mark.django_db
def test_console_asks_staff_without_a_second_factor_to_enrol(
    client: Client, make_staff: Callable[..., User]
) -> None:
    client.force_login(make_staff(role="support"))
    assert b"Enrol a passkey or an" in client.get("/staff/").content
