"""The demo shop loaded by `manage.py tutela_demo`: a catalogue and one paid order, once."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from tutela.commerce.models import Invoice, Order, Payment, Product
from tutela.customers.api import customer_for_email
from tutela.staff.demo import DEMO_CUSTOMERS


def demo() -> str:
    out = StringIO()
    call_command("tutela_demo", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_demo_loads_the_catalogue_and_one_paid_order_once(settings: object) -> None:
    settings.DEBUG = True  # type: ignore[attr-defined]
    first = demo()
    second = demo()
    assert "Demo shop: 5 product(s) created, and a paid order with its invoice." in first
    assert "Demo shop: 0 product(s) created." in second
    assert Product.objects.filter(active=True).count() == 5
    customer = customer_for_email(DEMO_CUSTOMERS[0]["email"])
    assert customer is not None
    order = Order.objects.get()
    assert order.customer == customer and order.status == Order.Status.PAID
    assert Payment.objects.get().card_last4 == "4242"
    invoice = Invoice.objects.get()
    assert invoice.billing_name == DEMO_CUSTOMERS[0]["full_name"]
    assert invoice.total_pence == order.total_pence == (48_000 + 2 * 8_950) * 120 // 100
