"""The sign-in address: proven before the first sign-in (R4), changed only by a confirmed link
after re-authentication (R5), stored encrypted and found by blind index (R6)."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.db import connection
from django.test import Client

from tutela.accounts.models import SecurityEvent, User
from tutela.audit.models import AccessEvent
from tutela.conftest import customer_details

PASSWORD = "a long and unusual passphrase"


def _register(client: Client, email: str = "grace@example.com") -> None:
    data = {"email": email, "password1": PASSWORD, "password2": PASSWORD, **customer_details()}
    response = client.post("/accounts/signup/", data)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/sent/"


def _link_path(message: mail.EmailMessage, kind: str = "confirm-email") -> str:
    found = re.search(rf"https?://testserver(/accounts/{kind}/\S+/\S+/)", str(message.body))
    assert found, message.body
    return found.group(1)


def _reauthenticate(client: Client) -> None:
    response = client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert response.status_code == 302, response.content


def _sign_in(client: Client, email: str, password: str = PASSWORD) -> str:
    response = client.post("/accounts/login/", {"login": email, "password": password})
    assert response.status_code == 302
    return str(response["Location"])


@pytest.mark.django_db
def test_unverified_customer_cannot_sign_in_until_the_emailed_link_is_followed(
    client: Client,
) -> None:
    _register(client)
    assert "_auth_user_id" not in client.session
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["grace@example.com"]
    path = _link_path(mail.outbox[0])

    assert _sign_in(client, "grace@example.com") == "/accounts/confirm-email/sent/"
    assert "_auth_user_id" not in client.session

    assert client.get(path).status_code == 200  # confirmation page, no state change on GET
    assert not User.objects.get(email="grace@example.com").email_verified
    assert client.post(path)["Location"] == "/accounts/login/"
    assert User.objects.get(email="grace@example.com").email_verified
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.EMAIL_VERIFIED).count() == 1

    assert _sign_in(client, "Grace@Example.com") == "/account/"
    assert client.session["_auth_user_id"]
    # The link works once: the account's state is part of the token.
    assert client.post(path).status_code == 400


@pytest.mark.django_db
def test_a_sign_in_attempt_resends_the_link_at_most_every_few_minutes(client: Client) -> None:
    _register(client)
    _sign_in(client, "grace@example.com")
    _sign_in(client, "grace@example.com")
    assert len(mail.outbox) == 1  # the sign-up mail; the re-send waits for the interval


@pytest.mark.django_db
def test_a_forged_or_foreign_link_verifies_nothing(client: Client) -> None:
    _register(client)
    _register(client, "ada@example.com")
    grace_path = _link_path(mail.outbox[0])
    uid_ada = _link_path(mail.outbox[1]).split("/")[3]
    token_grace = grace_path.split("/")[4]
    assert client.post("/accounts/confirm-email/not-a-uid/not-a-token/").status_code == 400
    assert client.post(f"/accounts/confirm-email/{uid_ada}/{token_grace}/").status_code == 400
    assert not User.objects.filter(email_verified_at__isnull=False).exists()


@pytest.mark.django_db
def test_registering_a_taken_address_looks_the_same_and_tells_the_owner(
    client: Client, make_customer
) -> None:
    make_customer(email="grace@example.com")
    _register(client, "GRACE@example.com")
    assert User.objects.count() == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["grace@example.com"]
    assert "confirm-email" not in str(mail.outbox[0].body)


@pytest.mark.django_db
def test_the_address_is_stored_only_encrypted_and_allauth_keeps_no_copy(client: Client) -> None:
    _register(client)
    client.post(_link_path(mail.outbox[0]))
    _sign_in(client, "grace@example.com")
    client.post("/accounts/password/reset/", {"email": "grace@example.com"})
    assert not EmailAddress.objects.exists()
    with connection.cursor() as cursor:
        for table in ("accounts_user", "account_emailaddress"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
            dump = repr(cursor.fetchall()).lower()
            assert "grace@example.com" not in dump
            assert "grace" not in dump


@pytest.mark.django_db
def test_password_reset_finds_the_account_through_the_blind_index(
    client: Client, make_customer
) -> None:
    make_customer(email="grace@example.com")
    client.post("/accounts/password/reset/", {"email": " Grace@Example.COM"})
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["grace@example.com"]
    assert "/accounts/password/reset/key/" in str(mail.outbox[0].body)


@pytest.mark.django_db
def test_changing_the_sign_in_email_needs_reauthentication_and_the_new_address_s_link(
    client: Client, make_customer
) -> None:
    customer = make_customer(email="grace@example.com", password=PASSWORD)
    _sign_in(client, "grace@example.com")
    refused = client.post("/accounts/email/", {"email": "grace@newmail.example"})
    assert refused["Location"].startswith("/accounts/reauthenticate/")
    assert not mail.outbox
    _reauthenticate(client)
    response = client.post("/accounts/email/", {"email": "grace@newmail.example"})
    assert response.status_code == 302
    assert User.objects.get(pk=customer.user.pk).email == "grace@example.com"
    assert mail.outbox[-1].to == ["grace@newmail.example"]
    path = _link_path(mail.outbox[-1], "email/confirm")

    assert client.post(path).status_code == 302
    user = User.objects.get(pk=customer.user.pk)
    assert user.email == "grace@newmail.example" and not user.pending_email
    assert mail.outbox[-1].to == ["grace@example.com"]  # the old address is told
    assert not User.objects.filter(email="grace@example.com").exists()
    assert AccessEvent.objects.filter(subject=str(user.subject_id), action="change").count() == 2
    client.logout()
    assert _sign_in(client, "grace@newmail.example") == "/account/"


@pytest.mark.django_db
def test_an_email_change_to_a_taken_address_changes_nothing_and_reveals_nothing(
    client: Client, make_customer
) -> None:
    make_customer(email="ada@example.com")
    customer = make_customer(email="grace@example.com", password=PASSWORD)
    _sign_in(client, "grace@example.com")
    _reauthenticate(client)
    response = client.post("/accounts/email/", {"email": "ada@example.com"}, follow=True)
    assert b"We sent a confirmation link" in response.content
    assert mail.outbox[-1].to == ["ada@example.com"]
    assert "email/confirm" not in str(mail.outbox[-1].body)
    assert User.objects.get(pk=customer.user.pk).pending_email is None


@pytest.mark.django_db
def test_bad_new_addresses_are_refused_with_the_reason(client: Client, make_customer) -> None:
    make_customer(email="grace@example.com", password=PASSWORD)
    _sign_in(client, "grace@example.com")
    _reauthenticate(client)
    bad = client.post("/accounts/email/", {"email": "not an address"})
    assert bad.status_code == 200 and b"Enter a valid email address" in bad.content
    same = client.post("/accounts/email/", {"email": "GRACE@example.com"})
    assert b"already your sign-in email" in same.content
    assert not mail.outbox


@pytest.mark.django_db
def test_the_email_page_needs_a_signed_in_person(client: Client) -> None:
    response = client.get("/accounts/email/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
