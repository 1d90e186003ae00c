"""The three ways out the policy promises, each recorded with its channel and taking effect at
once (R21, R23, R24): the email's link (RFC 8058 one-click), the account page, staff by phone."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from tutela.accounts.models import User
from tutela.audit.api import AccessEvent
from tutela.consent.emails import newsletter_message
from tutela.consent.models import ConsentRecord, Subscriber, SuppressedAddress
from tutela.consent.notices import NEWSLETTER_PHONE_WITHDRAWAL, NEWSLETTER_PURPOSE
from tutela.consent.selectors import (
    consent_state,
    is_suppressed,
    newsletter_recipient,
)
from tutela.consent.services import OptIn, newsletter_subscribe_request
from tutela.consent.tests.conftest import VISITOR
from tutela.consent.tokens import unsubscribe_token
from tutela.customers.models import Customer

STAFF_PAGE = "/staff/subscriptions/"
STAFF_UNSUBSCRIBE = "/staff/subscriptions/unsubscribe/"


def unsubscribe_path(subscriber: Subscriber) -> str:
    return f"/consent/unsubscribe/{unsubscribe_token(subscriber.pk)}/"


def withdrawals() -> list[ConsentRecord]:
    return list(ConsentRecord.objects.filter(event_type=ConsentRecord.EventType.WITHDRAWN))


@pytest.mark.django_db
def test_every_newsletter_carries_the_footer_link_and_one_click_headers(
    subscribe: Callable[..., Subscriber],
) -> None:
    """RFC 2369 and RFC 8058 headers, and the same per-recipient link in the footer (R23)."""
    subscriber = subscribe(email="lou@example.com")
    recipient = newsletter_recipient(subscriber)
    assert recipient is not None and recipient.email == "lou@example.com"
    message = newsletter_message(
        recipient, subject="Spring offers", text="Hello!", html="<p>Hello!</p>"
    )
    url = f"http://127.0.0.1:8000{unsubscribe_path(subscriber)}"
    assert message.to == ["lou@example.com"]
    assert message.extra_headers["List-Unsubscribe"] == f"<{url}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"Unsubscribe with one click: {url}" in message.body
    html_part, mime = message.alternatives[0]
    assert mime == "text/html" and f'href="{url}"' in str(html_part)
    message.send()
    sent = mail.outbox[-1].message()
    assert sent["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Another recipient gets another link: nothing in it is guessable from the first.
    other = newsletter_recipient(subscribe(email="max@example.com"))
    assert other is not None
    other_message = newsletter_message(other, subject="Spring offers", text="Hello!")
    assert other_message.extra_headers["List-Unsubscribe"] != f"<{url}>"


@pytest.mark.django_db
def test_one_click_post_unsubscribes_without_cookie_session_or_csrf_token(
    subscribe: Callable[..., Subscriber], django_assert_max_num_queries: Callable[..., Any]
) -> None:
    """RFC 8058: the mail provider POSTs the URL with nothing else; idempotent (R21, R23)."""
    subscriber = subscribe(email="nia@example.com")
    provider = Client(enforce_csrf_checks=True)
    # Five statements (find, lock, latest record, insert, clear the address) and the
    # savepoints of the nested transactions: the endpoint must stay cheap (500 requests/s).
    with django_assert_max_num_queries(11):
        response = provider.post(unsubscribe_path(subscriber), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and not response.cookies
    (withdrawal,) = withdrawals()
    assert withdrawal.collection_method == "email_link"
    assert withdrawal.evidence.startswith("One-click unsubscribe (RFC 8058)")
    assert not consent_state(subscriber.subject_id, NEWSLETTER_PURPOSE).given
    assert newsletter_recipient(Subscriber.objects.get()) is None  # at once: the next send skips
    # The address was kept only for the newsletter: gone with the consent.
    assert Subscriber.objects.get().email is None
    again = provider.post(unsubscribe_path(subscriber), {"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200 and len(withdrawals()) == 1


@pytest.mark.django_db
def test_a_get_of_the_link_only_shows_a_button(
    client: Client, subscribe: Callable[..., Subscriber]
) -> None:
    """Link scanners follow links with GET: that must never unsubscribe anyone."""
    subscriber = subscribe(email="oli@example.com")
    page = client.get(unsubscribe_path(subscriber))
    assert page.status_code == 200 and b'<button type="submit">Unsubscribe me' in page.content
    assert not withdrawals()
    # The page's own button posts without a CSRF token, as the one-click URL allows.
    Client(enforce_csrf_checks=True).post(
        unsubscribe_path(subscriber), {"List-Unsubscribe": "One-Click", "from_page": "1"}
    )
    (withdrawal,) = withdrawals()
    assert withdrawal.evidence.startswith("Unsubscribe button on the page")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        # A well-formed id with a made-up signature.
        "AAAAAAAAAAAAAAAAAAAAAA.invalidsignature",
    ],
)
def test_a_forged_unsubscribe_link_is_refused(
    subscribe: Callable[..., Subscriber], token: str
) -> None:
    subscribe(email="pat@example.com")
    response = Client(enforce_csrf_checks=True).post(f"/consent/unsubscribe/{token}/")
    assert response.status_code == 404 and not withdrawals()


@pytest.mark.django_db
def test_the_tampered_token_of_a_real_subscriber_is_refused(
    subscribe: Callable[..., Subscriber],
) -> None:
    subscriber = subscribe(email="quin@example.com")
    token = unsubscribe_token(subscriber.pk)
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert Client().post(f"/consent/unsubscribe/{forged}/").status_code == 404
    assert consent_state(subscriber.subject_id, NEWSLETTER_PURPOSE).given


@pytest.mark.django_db
def test_a_customer_unsubscribes_from_the_account_page_in_one_click(
    client: Client,
    make_customer: Callable[..., Customer],
    subscribe: Callable[..., Subscriber],
) -> None:
    """Feedback > Email Management > Mail Subscriptions (R24): same page, one button."""
    customer = make_customer()
    subscribe(customer=customer)
    client.force_login(customer.user)
    page = client.get("/consent/subscriptions/").content.decode()
    assert "Feedback &gt; Email Management &gt; Mail Subscriptions" in page
    assert 'href="/consent/subscriptions/">Mail Subscriptions</a>' in page  # the menu
    response = client.post("/consent/subscriptions/unsubscribe/")
    assert response.status_code == 302
    (withdrawal,) = withdrawals()
    assert withdrawal.collection_method == "account_page"
    assert withdrawal.pii_principal_id == customer.subject_id
    assert not consent_state(customer.subject_id, NEWSLETTER_PURPOSE).given
    assert "You are not subscribed" in client.get("/consent/subscriptions/").content.decode()


@pytest.mark.django_db
def test_another_customer_can_neither_see_nor_change_a_subscription(
    client: Client,
    make_customer: Callable[..., Customer],
    subscribe: Callable[..., Subscriber],
) -> None:
    """R38: the pages act on the signed-in customer only; no id in any URL."""
    owner, other = make_customer(), make_customer()
    subscribe(customer=owner)
    client.force_login(other.user)
    assert "You are not subscribed" in client.get("/consent/subscriptions/").content.decode()
    client.post("/consent/subscriptions/unsubscribe/")
    assert consent_state(owner.subject_id, NEWSLETTER_PURPOSE).given and not withdrawals()
    receipt = client.get("/consent/receipt.json").json()
    assert receipt["pii_principal_id"] == str(other.subject_id) and receipt["records"] == []


@pytest.mark.django_db
def test_anonymous_visitors_and_staff_have_no_account_page(
    client: Client, make_staff: Callable[..., User]
) -> None:
    for path in ("/consent/subscriptions/", "/consent/receipt.json"):
        assert client.get(path)["Location"].startswith("/accounts/login/")
    client.force_login(make_staff())
    assert client.get("/consent/subscriptions/").status_code == 403
    assert client.post("/consent/subscriptions/unsubscribe/").status_code == 403


@pytest.mark.django_db
def test_support_records_a_phone_unsubscribe_with_themselves_as_evidence(
    client: Client,
    make_customer: Callable[..., Customer],
    make_staff: Callable[..., User],
    subscribe: Callable[..., Subscriber],
) -> None:
    """The policy's third way out; the read and the change are both in the access log."""
    customer = make_customer(email="ray@example.com")
    subscribe(customer=customer)
    staff = make_staff(role="support", name="Sam")
    client.force_login(staff)
    page = client.post(STAFF_PAGE, {"email": "RAY@example.com"}).content.decode()
    assert "A customer account uses this address" in page and "Subscribed" in page
    read = AccessEvent.objects.get(action="read")
    assert str(read.subject) == str(customer.subject_id) and read.detail == "mail subscription"
    response = client.post(STAFF_UNSUBSCRIBE, {"email": "ray@example.com"})
    assert response.status_code == 302
    (withdrawal,) = withdrawals()
    assert withdrawal.collection_method == "staff_phone"
    assert withdrawal.event_by == "Sam (support)"
    assert withdrawal.evidence == "Phone request taken by Sam (support)."
    assert withdrawal.notice_sha256 == NEWSLETTER_PHONE_WITHDRAWAL.sha256
    assert not consent_state(customer.subject_id, NEWSLETTER_PURPOSE).given
    change = AccessEvent.objects.get(action="create")
    assert change.actor_label == "Sam (support)" and change.category_keys == ["privacy_choices"]
    # The label outlives the staff account.
    staff.delete()
    assert ConsentRecord.objects.get(pk=withdrawal.pk).event_by == "Sam (support)"


@pytest.mark.django_db
def test_a_caller_can_ask_never_to_be_emailed_again(
    client: Client, make_staff: Callable[..., User], subscribe: Callable[..., Subscriber]
) -> None:
    subscriber = subscribe(email="sue@example.com")
    client.force_login(make_staff(role="support"))
    client.post(STAFF_UNSUBSCRIBE, {"email": "sue@example.com", "suppress": "on"})
    assert not consent_state(subscriber.subject_id, NEWSLETTER_PURPOSE).given
    entry = SuppressedAddress.objects.get()
    assert entry.reason == "request" and entry.subject_id == subscriber.subject_id
    assert b"sue@example.com" not in entry.email_hash.encode() and is_suppressed("SUE@example.com")
    assert (
        newsletter_subscribe_request(
            agreed=True, channel="web_form", email="sue@example.com", actor=VISITOR
        )
        is OptIn.SUPPRESSED
    )


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["privacy_officer", "marketing", "finance"])
def test_other_roles_cannot_look_up_or_unsubscribe(
    client: Client,
    make_staff: Callable[..., User],
    subscribe: Callable[..., Subscriber],
    role: str,
) -> None:
    """R8: least privilege; support takes the calls, marketing never sees who is subscribed."""
    subscriber = subscribe(email="tom@example.com")
    client.force_login(make_staff(role=role))
    assert client.get(STAFF_PAGE).status_code == 403
    assert client.post(STAFF_PAGE, {"email": "tom@example.com"}).status_code == 403
    assert client.post(STAFF_UNSUBSCRIBE, {"email": "tom@example.com"}).status_code == 403
    assert consent_state(subscriber.subject_id, NEWSLETTER_PURPOSE).given
    assert not AccessEvent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("email", "message"),
    [("", "This field is required"), ("not-an-address", "Enter a valid email address")],
)
def test_a_bad_staff_entry_names_the_field_and_changes_nothing(
    client: Client,
    make_staff: Callable[..., User],
    subscribe: Callable[..., Subscriber],
    email: str,
    message: str,
) -> None:
    subscribe(email="uma@example.com")
    client.force_login(make_staff(role="support"))
    response = client.post(STAFF_UNSUBSCRIBE, {"email": email, "suppress": "on"})
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and re.search(r'id="id_email_error"|errorlist', page)
    assert not withdrawals() and not SuppressedAddress.objects.exists()


@pytest.mark.django_db
def test_an_unknown_address_is_reported_and_can_still_be_suppressed(
    client: Client, make_staff: Callable[..., User]
) -> None:
    client.force_login(make_staff(role="support"))
    page = client.post(STAFF_PAGE, {"email": "vic@example.com"}).content.decode()
    assert "No customer or subscriber uses this address" in page
    assert not AccessEvent.objects.exists()  # nobody's data was shown
    client.post(STAFF_UNSUBSCRIBE, {"email": "vic@example.com", "suppress": "on"})
    assert is_suppressed("vic@example.com") and not withdrawals()
