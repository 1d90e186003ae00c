"""Newsletter opt-in: explicit, never pre-ticked, confirmed by an emailed one-time link (R22)."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail, signing
from django.db import connection
from django.test import Client

from tutela.consent.models import ConsentRecord, Subscriber
from tutela.consent.notices import NEWSLETTER_CONSENT, NEWSLETTER_PURPOSE
from tutela.consent.selectors import consent_state
from tutela.consent.services import (
    Confirmation,
    OptIn,
    email_suppress,
    newsletter_confirm,
    newsletter_subscribe_request,
    newsletter_unsubscribe,
)
from tutela.consent.tests.conftest import VISITOR, last_confirm_token
from tutela.consent.tokens import CONFIRM_MAX_AGE, confirm_token
from tutela.customers.models import Customer

NEWSLETTER = "/consent/newsletter/"
SUBSCRIPTIONS = "/consent/subscriptions/"


def agree_box(page: str) -> str:
    """The opt-in checkbox's <input> tag."""
    match = re.search(r'<input type="checkbox" name="agree"[^>]*>', page)
    assert match, page
    return match.group(0)


def ask(client: Client, capture: Callable[..., Any], **data: str) -> Any:
    with capture(execute=True):
        return client.post(NEWSLETTER, data)


@pytest.mark.django_db
def test_the_box_is_never_pre_ticked_and_says_exactly_what_is_agreed(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    """PECR reg. 22: an unticked box whose label is the text the ledger hashes (R20, R22)."""
    page = client.get(NEWSLETTER).content.decode()
    assert "checked" not in agree_box(page)
    assert NEWSLETTER_CONSENT.text in html.unescape(page)
    client.force_login(make_customer().user)
    account_page = client.get(SUBSCRIPTIONS).content.decode()
    assert "checked" not in agree_box(account_page)


@pytest.mark.django_db
def test_a_visitor_is_subscribed_only_once_they_confirm_by_the_emailed_link(
    client: Client, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    response = ask(client, django_capture_on_commit_callbacks, email="ada@example.com", agree="on")
    assert response.status_code == 302 and response["Location"] == "/consent/newsletter/sent/"
    (message,) = mail.outbox
    assert message.to == ["ada@example.com"]
    subscriber = Subscriber.objects.get(email="ada@example.com")
    # Unconfirmed is not subscribed: no record at all.
    assert not ConsentRecord.objects.exists()
    assert not consent_state(subscriber.subject_id, NEWSLETTER_PURPOSE).given
    # The address is kept encrypted, found by its blind index.
    with connection.cursor() as cursor:
        cursor.execute("SELECT email FROM consent_subscriber")
        assert b"ada@example.com" not in bytes(cursor.fetchone()[0])
    link = f"/consent/newsletter/confirm/{last_confirm_token()}/"
    # A link scanner's GET confirms nothing.
    page = client.get(link)
    assert page.status_code == 200 and b"Yes, start my subscription" in page.content
    assert not ConsentRecord.objects.exists()
    done = client.post(link)
    assert done.status_code == 200 and b"You are subscribed" in done.content
    (consent,) = ConsentRecord.objects.all()
    assert consent.pii_principal_id == subscriber.subject_id and consent.is_given
    assert consent.collection_method == "web_form" and consent.notice_version == "1.0"
    assert consent.notice_sha256 == NEWSLETTER_CONSENT.sha256
    assert "confirmed with the link emailed" in consent.evidence
    assert consent.event_by == "data subject"


@pytest.mark.django_db
def test_confirming_again_changes_nothing_and_a_reused_link_cannot_resubscribe(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """Idempotent while subscribed; once withdrawn, the old link is spent (one-time)."""
    with django_capture_on_commit_callbacks(execute=True):
        newsletter_subscribe_request(
            agreed=True, channel="web_form", email="bo@example.com", actor=VISITOR
        )
    token = last_confirm_token()
    assert newsletter_confirm(token=token, actor=VISITOR) is Confirmation.CONFIRMED
    assert newsletter_confirm(token=token, actor=VISITOR) is Confirmation.ALREADY_CONFIRMED
    assert ConsentRecord.objects.count() == 1
    subscriber = Subscriber.objects.get()
    newsletter_unsubscribe(subscriber=subscriber, channel="email_link", evidence="t", actor=VISITOR)
    assert newsletter_confirm(token=token, actor=VISITOR) is Confirmation.INVALID
    assert not consent_state(subscriber.subject_id, NEWSLETTER_PURPOSE).given
    assert ConsentRecord.objects.count() == 2


@pytest.mark.django_db
def test_an_expired_link_is_refused(
    client: Client,
    django_capture_on_commit_callbacks: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        newsletter_subscribe_request(
            agreed=True, channel="web_form", email="cy@example.com", actor=VISITOR
        )
    subscriber = Subscriber.objects.get()
    assert subscriber.pending_since is not None
    # The same link, signed CONFIRM_MAX_AGE and a minute ago.
    stale = int(time.time() - CONFIRM_MAX_AGE.total_seconds() - 60)
    monkeypatch.setattr(
        signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(stale)
    )
    token = confirm_token(subscriber.pk, subscriber.pending_since)
    monkeypatch.undo()
    link = f"/consent/newsletter/confirm/{token}/"
    assert client.get(link).status_code == 400
    response = client.post(link)
    assert response.status_code == 400 and b"This link does not work" in response.content
    assert not ConsentRecord.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: "x" + token,
        lambda token: signing.dumps({"s": "0" * 32, "p": "1"}, salt="another.salt"),
    ],
    ids=["signature", "payload", "other-salt"],
)
def test_a_forged_link_is_refused(
    client: Client,
    django_capture_on_commit_callbacks: Callable[..., Any],
    tamper: Callable[[str], str],
) -> None:
    ask(client, django_capture_on_commit_callbacks, email="di@example.com", agree="on")
    forged = tamper(last_confirm_token())
    assert client.post(f"/consent/newsletter/confirm/{forged}/").status_code == 400
    assert not ConsentRecord.objects.exists()


@pytest.mark.django_db
def test_a_newer_request_replaces_the_older_link(
    django_capture_on_commit_callbacks: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tutela.consent.services.RESEND_INTERVAL", timedelta(0))
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            newsletter_subscribe_request(
                agreed=True, channel="web_form", email="ed@example.com", actor=VISITOR
            )
    first, second = (
        re.search(r"confirm/([^/\s]+)/", str(message.body)).group(1)  # type: ignore[union-attr]
        for message in mail.outbox
    )
    assert newsletter_confirm(token=first, actor=VISITOR) is Confirmation.INVALID
    assert newsletter_confirm(token=second, actor=VISITOR) is Confirmation.CONFIRMED


@pytest.mark.django_db
def test_repeated_requests_send_one_link_per_interval(
    client: Client, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    """A form posted in a loop cannot flood someone's inbox."""
    for _ in range(3):
        ask(client, django_capture_on_commit_callbacks, email="fi@example.com", agree="on")
    assert len(mail.outbox) == 1 and Subscriber.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "fi@example.com"}, "agree", "Tick the box if you want the newsletter"),
        ({"email": "not-an-address", "agree": "on"}, "email", "Enter a valid email address"),
        ({"email": "", "agree": "on"}, "email", "This field is required"),
        ({"email": "a" * 250 + "@example.com", "agree": "on"}, "email", "at most 254"),
        ({"email": "x\x00@example.com", "agree": "on"}, "email", "Null characters"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(
    client: Client,
    django_capture_on_commit_callbacks: Callable[..., Any],
    data: dict[str, str],
    field: str,
    message: str,
) -> None:
    response = ask(client, django_capture_on_commit_callbacks, **data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Subscriber.objects.exists() and not mail.outbox


@pytest.mark.django_db
def test_a_suppressed_address_is_never_subscribed_again(
    client: Client,
    make_customer: Callable[..., Customer],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """By any path: the visitor form (any case), the account page; no email is sent."""
    email_suppress("Gus@Example.com", "complaint")
    response = ask(
        client, django_capture_on_commit_callbacks, email=" gus@example.COM ", agree="on"
    )
    assert response["Location"] == "/consent/newsletter/sent/"  # the same page: nothing revealed
    assert not mail.outbox and not Subscriber.objects.exists()
    customer = make_customer(email="hal@example.com")
    email_suppress("hal@example.com", "erasure")
    client.force_login(customer.user)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post("/consent/subscriptions/subscribe/", {"agree": "on"}, follow=True)
    assert b"do-not-email list" in page.content
    assert not mail.outbox and not ConsentRecord.objects.exists()


@pytest.mark.django_db
def test_an_address_suppressed_before_confirmation_is_not_subscribed(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        newsletter_subscribe_request(
            agreed=True, channel="web_form", email="ivy@example.com", actor=VISITOR
        )
    email_suppress("ivy@example.com", "bounce")
    assert newsletter_confirm(token=last_confirm_token(), actor=VISITOR) is Confirmation.INVALID
    assert not ConsentRecord.objects.exists()


@pytest.mark.django_db
def test_a_customer_subscribes_from_the_account_page(
    client: Client,
    make_customer: Callable[..., Customer],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    customer = make_customer(email="jo@example.com")
    client.force_login(customer.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/consent/subscriptions/subscribe/", {"agree": "on"})
    assert response.status_code == 302
    assert mail.outbox[0].to == ["jo@example.com"]
    assert "confirmation link" in client.get(SUBSCRIPTIONS).content.decode()
    assert not consent_state(customer.subject_id, NEWSLETTER_PURPOSE).given
    client.post(f"/consent/newsletter/confirm/{last_confirm_token()}/")
    consent = ConsentRecord.objects.get()
    assert consent.pii_principal_id == customer.subject_id
    assert consent.collection_method == "account_page"
    subscriber = Subscriber.objects.get()
    assert subscriber.customer == customer and subscriber.email is None
    assert "You are subscribed" in client.get(SUBSCRIPTIONS).content.decode()


@pytest.mark.django_db
def test_a_visitor_typing_a_customers_address_joins_that_customers_subscription(
    client: Client,
    make_customer: Callable[..., Customer],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """One person, one subscriber: no second, account-less copy of their address."""
    customer = make_customer(email="kim@example.com")
    ask(client, django_capture_on_commit_callbacks, email="KIM@example.com", agree="on")
    client.post(f"/consent/newsletter/confirm/{last_confirm_token()}/")
    assert Subscriber.objects.get().customer == customer
    assert consent_state(customer.subject_id, NEWSLETTER_PURPOSE).given
    assert OptIn.ALREADY_SUBSCRIBED is newsletter_subscribe_request(
        agreed=True, channel="web_form", email="kim@example.com", actor=VISITOR
    )
