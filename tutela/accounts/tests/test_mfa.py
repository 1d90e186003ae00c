"""MFA: a TOTP authenticator round trip and recovery codes (R5)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.core.cache import cache
from django.test import Client

from tutela.conftest import DEMO_PASSWORD
from tutela.customers.models import Customer


def totp_now(secret: str) -> str:
    """The current RFC 6238 code (30-second step), computed as an authenticator app would."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


@pytest.mark.django_db
def test_totp_activation_then_sign_in_needs_the_code(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer(email="ada@example.com")
    client.post("/accounts/login/", {"login": "ada@example.com", "password": DEMO_PASSWORD})

    # R5: changing MFA is a sensitive action and asks for the password again first.
    gate = client.get("/accounts/2fa/totp/activate/")
    assert gate.status_code == 302 and gate["Location"].startswith("/accounts/reauthenticate/")
    client.post("/accounts/reauthenticate/", {"password": DEMO_PASSWORD})
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    wrong = client.post("/accounts/2fa/totp/activate/", {"code": "000000"})
    assert wrong.status_code == 200 and "code" in wrong.context["form"].errors
    ok = client.post("/accounts/2fa/totp/activate/", {"code": totp_now(secret)})
    assert ok.status_code == 302
    assert Authenticator.objects.filter(user=customer.user, type=Authenticator.Type.TOTP).exists()
    # Activating TOTP also issues recovery codes.
    assert Authenticator.objects.filter(
        user=customer.user, type=Authenticator.Type.RECOVERY_CODES
    ).exists()

    client.post("/accounts/logout/")
    # allauth refuses a code it has already accepted in this time step (replay protection);
    # forget that, as if the next step had come, so the same secret can be used again.
    cache.clear()
    step_one = client.post(
        "/accounts/login/", {"login": "ada@example.com", "password": DEMO_PASSWORD}
    )
    assert step_one.status_code == 302 and step_one["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session

    refused = client.post("/accounts/2fa/authenticate/", {"code": "123456"})
    assert refused.status_code == 200 and "_auth_user_id" not in client.session

    accepted = client.post("/accounts/2fa/authenticate/", {"code": totp_now(secret)})
    assert accepted.status_code == 302 and accepted["Location"] == "/account/"
    assert client.session["_auth_user_id"] == str(customer.user.pk)
