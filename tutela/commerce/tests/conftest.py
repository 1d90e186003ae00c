"""Fixtures for the commerce tests: a small catalogue and checkouts through the real services."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.utils import timezone

from tutela.audit.api import Actor
from tutela.commerce.models import Order, Product
from tutela.commerce.providers import CardDetails, payment_provider
from tutela.commerce.services import order_place, payment_take, product_create
from tutela.customers.models import Customer

VISA = "4242424242424242"
DECLINED = "4000000000000002"


def future_year() -> int:
    """A card expiry year that has not passed."""
    return timezone.localdate().year + 2


def card(number: str = VISA, cvc: str = "123", month: int = 12, year: int | None = None) -> dict:
    """The hosted card form's POST data."""
    return {
        "card_number": number,
        "expiry": f"{month:02d}/{(year or future_year()) % 100:02d}",
        "cvc": cvc,
    }


@pytest.fixture
def products(db: None) -> dict[str, Product]:
    """A printer (£249.00) and a support plan (£480.00), prices before VAT."""
    actor = Actor.system("test")
    return {
        "printer": product_create(
            name="Label printer LP-200",
            description="Thermal label printer.",
            kind="product",
            price_pence=24_900,
            actor=actor,
        ),
        "plan": product_create(
            name="Support plan, 12 months",
            description="",
            kind="service",
            price_pence=48_000,
            actor=actor,
        ),
    }


@pytest.fixture
def place_order(products: dict[str, Product]) -> Callable[..., Order]:
    """Place an order for a customer through the real service (2 printers by default)."""

    def place(customer: Customer, product: str = "printer", quantity: int = 2) -> Order:
        return order_place(
            customer=customer,
            lines=[(products[product], quantity)],
            actor=Actor.customer(id=customer.user_id),
        )

    return place


@pytest.fixture
def paid_order(place_order: Callable[..., Order]) -> Callable[..., Order]:
    """An order paid with the fake provider's Visa test card, with its invoice."""

    def pay(customer: Customer, **options: object) -> Order:
        order = place_order(customer, **options)
        token = payment_provider().tokenize(
            card=CardDetails(number=VISA, exp_month=12, exp_year=future_year(), cvc="123")
        )
        payment_take(order=order, card=token, actor=Actor.customer(id=customer.user_id))
        order.refresh_from_db()
        return order

    return pay
