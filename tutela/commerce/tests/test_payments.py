"""Paying through the provider's hosted card field: only a token, the brand, the last four digits
and the expiry are kept (R43); bad card details are refused naming the field (R40)."""

from __future__ import annotations

import pickle
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.views.debug import SafeExceptionReporterFilter
from hypothesis import given
from hypothesis import strategies as st

from tutela.audit.api import AccessEvent
from tutela.commerce.models import Invoice, Order, Payment
from tutela.commerce.providers import CardDetails, payment_provider
from tutela.commerce.providers.base import luhn_check_digit, luhn_valid
from tutela.commerce.providers.fake import FakeProvider
from tutela.commerce.tests.conftest import DECLINED, VISA, card, future_year
from tutela.commerce.views import PAYMENT_RATE_PER_ACCOUNT
from tutela.customers.models import Customer
from tutela.visits.tests.ratelimits import fresh_rate_window


def pay_url(order: Order) -> str:
    return f"/shop/orders/{order.pk}/pay/card/"


# --- the fake provider ----------------------------------------------------------------------


@given(st.text(alphabet="0123456789", min_size=11, max_size=18))
def test_a_luhn_check_digit_always_validates_and_any_single_change_breaks_it(
    partial: str,
) -> None:
    number = partial + luhn_check_digit(partial)
    assert luhn_valid(number)
    for position in range(len(number)):
        for digit in "0123456789":
            if digit != number[position]:
                changed = number[:position] + digit + number[position + 1 :]
                assert not luhn_valid(changed)


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        ("4242424242424242", "Visa"),
        ("5555555555554444", "Mastercard"),
        ("378282246310005", "American Express"),
    ],
)
def test_the_documented_test_cards_are_accepted_with_their_brand(number: str, brand: str) -> None:
    cvc = "1234" if brand == "American Express" else "123"
    token = FakeProvider().tokenize(
        card=CardDetails(number=number, exp_month=1, exp_year=future_year(), cvc=cvc)
    )
    assert (token.brand, token.last4, token.exp_month) == (brand, number[-4:], 1)
    assert token.token.startswith("tok_fake_approved_")
    assert number not in token.token and number[:6] not in token.token


@pytest.mark.parametrize(
    ("number", "month", "year", "cvc", "field", "message"),
    [
        ("4242424242424241", 12, None, "123", "card_number", "not valid: check the digits"),
        ("4242", 12, None, "123", "card_number", "12 to 19 digits"),
        ("4242abcd42424242", 12, None, "123", "card_number", "12 to 19 digits"),
        ("4111111111111111", 12, None, "123", "card_number", "not one of the test cards"),
        (VISA, 1, 2020, "123", "expiry", "expired"),
        (VISA, 13, None, "123", "expiry", "01 to 12"),
        (VISA, 12, 2099, "123", "expiry", "too far in the future"),
        (VISA, 12, None, "12", "cvc", "3-digit security code"),
        (VISA, 12, None, "12a", "cvc", "3-digit security code"),
        ("378282246310005", 12, None, "123", "cvc", "4-digit security code"),
    ],
)
def test_the_fake_provider_refuses_bad_details_naming_the_field(
    number: str, month: int, year: int | None, cvc: str, field: str, message: str
) -> None:
    details = CardDetails(number=number, exp_month=month, exp_year=year or future_year(), cvc=cvc)
    with pytest.raises(ValidationError) as refused:
        FakeProvider().tokenize(card=details)
    assert message in " ".join(refused.value.message_dict[field])


def test_charges_follow_the_test_card_and_are_idempotent() -> None:
    provider = FakeProvider()
    year = future_year()
    approved = provider.tokenize(
        card=CardDetails(number=VISA, exp_month=1, exp_year=year, cvc="123")
    )
    declined = provider.tokenize(
        card=CardDetails(number=DECLINED, exp_month=1, exp_year=year, cvc="123")
    )
    first = provider.charge(
        token=approved.token, amount_pence=100, currency="GBP", idempotency_key="a"
    )
    again = provider.charge(
        token=approved.token, amount_pence=100, currency="GBP", idempotency_key="a"
    )
    assert first.approved and first == again
    refused = provider.charge(
        token=declined.token, amount_pence=100, currency="GBP", idempotency_key="b"
    )
    assert not refused.approved and refused.decline_reason == "card_declined"
    forged = provider.charge(
        token="tok_other", amount_pence=100, currency="GBP", idempotency_key="c"
    )
    assert forged.decline_reason == "invalid_token"
    refund = provider.refund(reference=first.reference, amount_pence=100, currency="GBP")
    assert refund.approved and refund.reference.startswith("re_fake_")
    assert not provider.refund(reference="ch_other", amount_pence=100, currency="GBP").approved


def test_card_details_never_print_or_pickle_the_number_or_code() -> None:
    details = CardDetails(number=VISA, exp_month=4, exp_year=2031, cvc="987")
    assert repr(details) == str(details) == "CardDetails(ending 4242, 04/2031)"
    assert f"{details!r} {details}".count("4242") == 2
    with pytest.raises(TypeError, match="never serialised"):
        pickle.dumps(details)


@override_settings(TUTELA_PAYMENT_PROVIDER="tutela.commerce.providers.fake.FakeProvider")
def test_the_provider_is_chosen_by_setting() -> None:
    assert isinstance(payment_provider(), FakeProvider)
    assert payment_provider() is payment_provider()


# --- paying through the pages ---------------------------------------------------------------


@pytest.mark.django_db
def test_paying_marks_the_order_paid_issues_the_invoice_and_keeps_only_token_brand_last4(
    client: Client, make_customer: Callable[..., Customer], place_order: Callable[..., Order]
) -> None:
    customer = make_customer()
    order = place_order(customer)
    client.force_login(customer.user)
    assert client.get(f"/shop/orders/{order.pk}/pay/").status_code == 200
    response = client.post(pay_url(order), card(VISA))
    assert response.status_code == 302
    assert response["Location"] == f"/shop/orders/{order.pk}/"
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.paid_at is not None
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.SUCCEEDED and payment.provider == "fake"
    assert (payment.card_brand, payment.card_last4, payment.card_exp_month) == (
        "Visa",
        "4242",
        "12",
    )
    assert payment.card_exp_year == str(future_year())
    assert payment.provider_token.startswith("tok_fake_")
    assert payment.provider_reference.startswith("ch_fake_")
    assert payment.amount_pence == order.total_pence
    invoice = Invoice.objects.get()
    detail = client.get(response["Location"]).content.decode()
    assert "Paid" in detail and invoice.number in detail and "Visa ending 4242" in detail
    events = AccessEvent.objects.filter(subject=str(customer.subject_id), action="create")
    assert {tuple(event.category_keys) for event in events} == {
        ("order_details",),
        ("payment_details",),
        ("invoices",),
    }


@pytest.mark.django_db
def test_a_declined_card_leaves_the_order_unpaid_and_says_no_money_was_taken(
    client: Client, make_customer: Callable[..., Customer], place_order: Callable[..., Order]
) -> None:
    customer = make_customer()
    order = place_order(customer)
    client.force_login(customer.user)
    response = client.post(pay_url(order), card(DECLINED))
    assert response.status_code == 200
    assert "declined by your bank" in response.content.decode()
    assert "No money was taken" in response.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.AWAITING_PAYMENT
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.DECLINED and payment.decline_reason == "card_declined"
    assert payment.provider_reference == "" and not Invoice.objects.exists()
    # Paying with another card afterwards works.
    assert client.post(pay_url(order), card(VISA)).status_code == 302
    assert Order.objects.get().status == Order.Status.PAID


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (card("4242424242424241"), "card_number", "not valid: check the digits"),
        (card("4111111111111111"), "card_number", "not one of the test cards"),
        ({**card(), "card_number": ""}, "card_number", "Enter the card number."),
        (card(year=2020, month=1), "expiry", "expired"),
        ({**card(), "expiry": "1299"}, "expiry", "MM/YY"),
        ({**card(), "expiry": "13/30"}, "expiry", "01 to 12"),
        (card(cvc="12"), "cvc", "3-digit security code"),
        (card(cvc=""), "cvc", "Enter the security code."),
        ({**card(), "card_number": "4242\x004242"}, "card_number", "Null characters"),
    ],
)
def test_bad_card_details_name_the_field_store_nothing_and_are_not_echoed(
    client: Client,
    make_customer: Callable[..., Customer],
    place_order: Callable[..., Order],
    data: dict[str, str],
    field: str,
    message: str,
) -> None:
    """R40 and R43: the message is on the field, no payment is stored, the number and code are
    not written back into the page."""
    customer = make_customer()
    order = place_order(customer)
    client.force_login(customer.user)
    response = client.post(pay_url(order), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field]), errors
    page = response.content.decode()
    if data["card_number"]:
        assert data["card_number"] not in page
    assert f'value="{data["cvc"]}"' not in page or not data["cvc"]
    assert not Payment.objects.exists() and not Invoice.objects.exists()
    assert Order.objects.get().status == Order.Status.AWAITING_PAYMENT
    assert not AccessEvent.objects.filter(action="create").exclude(detail__contains="placed")


@pytest.mark.django_db
def test_another_customer_cannot_pay_or_see_the_payment_page_of_an_order(
    client: Client, make_customer: Callable[..., Customer], place_order: Callable[..., Order]
) -> None:
    order = place_order(make_customer())
    client.force_login(make_customer().user)
    assert client.get(f"/shop/orders/{order.pk}/pay/").status_code == 404
    assert client.post(pay_url(order), card(VISA)).status_code == 404
    assert not Payment.objects.exists()


@pytest.mark.django_db
def test_a_paid_order_is_never_charged_again(
    client: Client, make_customer: Callable[..., Customer], paid_order: Callable[..., Order]
) -> None:
    customer = make_customer()
    order = paid_order(customer)
    client.force_login(customer.user)
    response = client.post(pay_url(order), card(VISA))
    assert response.status_code == 302 and response["Location"] == f"/shop/orders/{order.pk}/"
    assert Payment.objects.count() == 1 and Invoice.objects.count() == 1
    assert client.get(f"/shop/orders/{order.pk}/pay/").status_code == 302


@pytest.mark.django_db
def test_the_card_field_accepts_posts_only(
    client: Client, make_customer: Callable[..., Customer], place_order: Callable[..., Order]
) -> None:
    """Card details never travel in a URL (which servers and proxies log)."""
    customer = make_customer()
    order = place_order(customer)
    client.force_login(customer.user)
    assert client.get(pay_url(order), card(VISA)).status_code == 405
    assert not Payment.objects.exists()


@pytest.mark.django_db
def test_card_attempts_are_rate_limited(
    client: Client, make_customer: Callable[..., Customer], place_order: Callable[..., Order]
) -> None:
    """Card testing: after 10 attempts in an hour the account gets 429 and nothing is tried."""
    customer = make_customer()
    order = place_order(customer)
    client.force_login(customer.user)
    fresh_rate_window(
        group="commerce.card", key="user", rate=PAYMENT_RATE_PER_ACCOUNT, user=customer.user
    )
    for _ in range(10):
        assert client.post(pay_url(order), card(DECLINED)).status_code == 200
    assert client.post(pay_url(order), card(VISA)).status_code == 429
    assert Payment.objects.filter(status=Payment.Status.SUCCEEDED).count() == 0
    assert Payment.objects.count() == 10


@pytest.mark.django_db
def test_error_reports_hide_the_card_number_and_security_code(
    client: Client, make_customer: Callable[..., Customer], place_order: Callable[..., Order]
) -> None:
    """Django's error reports (emails to admins, the debug page) show the card fields as stars."""
    customer = make_customer()
    order = place_order(customer)
    client.force_login(customer.user)
    request = client.post(pay_url(order), card(DECLINED)).wsgi_request
    cleansed = SafeExceptionReporterFilter().get_post_parameters(request)
    assert cleansed["card_number"] == cleansed["cvc"] == "********************"
    assert DECLINED not in str(cleansed)


@pytest.mark.django_db
def test_no_card_data_is_put_in_the_session(
    client: Client, make_customer: Callable[..., Customer], place_order: Callable[..., Order]
) -> None:
    customer = make_customer()
    order = place_order(customer)
    client.force_login(customer.user)
    client.post(pay_url(order), card(DECLINED, cvc="987"))
    client.post(pay_url(order), card(VISA, cvc="987"))
    stored = str(dict(client.session.items()))
    assert VISA not in stored and DECLINED not in stored and "987" not in stored
