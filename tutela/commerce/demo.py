"""The demo shop: C-MES Solutions' catalogue, and one paid order for the first demo customer.

Loaded by `manage.py tutela_demo` through the real services, so the demo order, payment and
invoice are exactly what a customer's checkout stores. The order is paid with the fake
provider's test card and only when the fake provider is configured: a demo never charges a card.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from tutela.audit.api import Actor
from tutela.commerce.models import Order, Product
from tutela.commerce.providers import CardDetails, payment_provider
from tutela.commerce.providers.fake import FakeProvider
from tutela.commerce.services import order_place, payment_take, product_create
from tutela.customers.api import customer_for_email

# (name, kind, price in pence before VAT, description)
DEMO_PRODUCTS: tuple[tuple[str, str, int, str], ...] = (
    (
        "Label printer LP-200",
        Product.Kind.PRODUCT,
        24_900,
        "Thermal label printer for production lines, with a two-year warranty.",
    ),
    (
        "Barcode scanner BS-10",
        Product.Kind.PRODUCT,
        8_950,
        "Hand-held scanner for batch and serial numbers.",
    ),
    (
        "MES licence, one seat for 12 months",
        Product.Kind.SERVICE,
        36_000,
        "Our manufacturing execution system for one named user.",
    ),
    (
        "Support plan, 12 months",
        Product.Kind.SERVICE,
        48_000,
        "Telephone and application support on working days, 9:00 to 17:30.",
    ),
    (
        "Production line audit (one day)",
        Product.Kind.SERVICE,
        95_000,
        "An engineer on site for a day, with a written report.",
    ),
)
# The fake provider's approved test card (tutela/commerce/providers/fake.py).
DEMO_CARD = "4242424242424242"


@dataclass(frozen=True)
class DemoShop:
    """What demo_shop_load created."""

    products_created: int
    order_created: bool


def demo_shop_load(*, customer_email: str, actor: Actor) -> DemoShop:
    """Create the missing demo products and, when the customer has no order yet and the fake
    provider is configured, one paid order with its invoice; idempotent.

    Side effects: products (by name, never changed once there); for the customer, an order, its
    payment and invoice, with their access-log events.
    """
    created = 0
    order_created = False
    with transaction.atomic():
        for name, kind, price, description in DEMO_PRODUCTS:
            if not Product.objects.filter(name=name).exists():
                product_create(
                    name=name, description=description, kind=kind, price_pence=price, actor=actor
                )
                created += 1
        customer = customer_for_email(customer_email)
        provider = payment_provider()
        if (
            customer is not None
            and isinstance(provider, FakeProvider)
            and not Order.objects.filter(subject_id=customer.subject_id).exists()
        ):
            plan = Product.objects.get(name="Support plan, 12 months")
            scanner = Product.objects.get(name="Barcode scanner BS-10")
            order = order_place(customer=customer, lines=[(plan, 1), (scanner, 2)], actor=actor)
            card = CardDetails(
                number=DEMO_CARD, exp_month=12, exp_year=timezone.localdate().year + 3, cvc="123"
            )
            payment_take(order=order, card=provider.tokenize(card=card), actor=actor)
            order_created = True
    return DemoShop(products_created=created, order_created=order_created)
