"""Reads for commerce on the customer's side; the trust boundary is the customer's own account."""

from __future__ import annotations

import uuid

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from tutela.commerce.models import Invoice, Order, Payment, Product
from tutela.crypto.api import data_keys_prefetch
from tutela.customers.api import Customer


def products_for_sale() -> QuerySet[Product]:
    """The active catalogue, products before services, by name."""
    return Product.objects.filter(active=True)


def product_for_sale(product_id: int) -> Product:
    """One active product; 404 for an unknown or withdrawn one."""
    product = Product.objects.filter(pk=product_id, active=True).first()
    if product is None:
        raise Http404("No such product, or it is no longer sold.")
    return product


def orders_for_customer(customer: Customer, *, limit: int = 100) -> list[Order]:
    """The customer's own orders, newest first, each with its lines and invoice number.

    A fixed number of queries whatever the number of orders (lines prefetched, invoice joined;
    the invoice's encrypted fields are not read here).
    """
    return list(
        Order.objects.filter(customer=customer)
        .select_related("invoice")
        .prefetch_related("lines")
        .order_by("-placed_at", "-id")[:limit]
    )


def order_for_customer(customer: Customer, order_id: uuid.UUID) -> Order:
    """One of the customer's own orders with its lines and payments; 404 for anyone else's, so
    ids reveal nothing (R38)."""
    order = (
        Order.objects.filter(customer=customer, pk=order_id)
        .select_related("invoice")
        .prefetch_related(
            "lines", Prefetch("payments", queryset=Payment.objects.order_by("-created_at", "-id"))
        )
        .first()
    )
    if order is None:
        raise Http404("No such order.")
    data_keys_prefetch(order.payments.all())
    return order


def invoice_for_customer(customer: Customer, invoice_id: uuid.UUID) -> Invoice:
    """One of the customer's own invoices with its order; 404 for anyone else's (R38)."""
    invoice = (
        Invoice.objects.filter(order__customer=customer, pk=invoice_id)
        .select_related("order")
        .first()
    )
    if invoice is None:
        raise Http404("No such invoice.")
    return invoice


def invoice_payment(invoice: Invoice) -> Payment | None:
    """The approved payment an invoice was paid with (for "paid by Visa ending 4242")."""
    return (
        Payment.objects.filter(order_id=invoice.order_id, status=Payment.Status.SUCCEEDED)
        .order_by("-created_at")
        .first()
    )
