"""Email verification is mandatory before the first sign-in."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from tutela.conftest import customer_details

PASSWORD = "a long and unusual passphrase"


def _register(client: Client, email: str = "grace@example.com") -> None:
    data = {"email": email, "password1": PASSWORD, "password2": PASSWORD, **customer_details()}
    assert client.post("/accounts/signup/", data).status_code == 302


@pytest.mark.django_db
def test_unverified_customer_cannot_sign_in_until_the_emailed_link_is_followed(
    client: Client,
) -> None:
    _register(client)
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", str(mail.outbox[0].body))
    assert link, mail.outbox[0].body
    client.logout()

    blocked = client.post("/accounts/login/", {"login": "grace@example.com", "password": PASSWORD})
    assert blocked.status_code == 302 and "confirm-email" in blocked["Location"]
    assert "_auth_user_id" not in client.session

    path = link.group(0).split("testserver", 1)[1]
    assert client.get(path).status_code == 200  # confirmation page, no state change on GET
    assert not EmailAddress.objects.get(email="grace@example.com").verified
    client.post(path)
    assert EmailAddress.objects.get(email="grace@example.com").verified

    signed_in = client.post(
        "/accounts/login/", {"login": "grace@example.com", "password": PASSWORD}
    )
    assert signed_in.status_code == 302 and signed_in["Location"] == "/account/"
    assert client.session["_auth_user_id"]


@pytest.mark.django_db
def test_a_forged_confirmation_key_verifies_nothing(client: Client) -> None:
    _register(client)
    response = client.post("/accounts/confirm-email/not-a-real-key/")
    assert response.status_code in (200, 404)
    assert not EmailAddress.objects.get(email="grace@example.com").verified
