"""Staff reads of the financial records (orders, payments, invoices), each access-logged (R7).

Kept apart from selectors.py (customer profiles) to keep modules small; the same rules apply:
check the permission again, record one access event per subject whose data the page shows.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from tutela.commerce.api import Invoice, Order, OrderLine, Payment
from tutela.crypto.api import data_keys_prefetch
from tutela.policy.api import catalog_entry_for
from tutela.staff.roles import VIEW_INVOICES, VIEW_ORDERS
from tutela.staff.selectors import StaffMember, _categories, _require, record_page_read, record_read


def orders_for_staff(actor: StaffMember) -> QuerySet[Order]:
    """Every order, newest first, with lines and invoice number; unevaluated (the caller
    paginates, then records the read of the page it shows with `orders_page_read`)."""
    _require(actor, VIEW_ORDERS)
    return (
        Order.objects.select_related("invoice")
        .prefetch_related("lines")
        .order_by("-placed_at", "-id")
    )


def orders_page_read(actor: StaffMember, orders: Iterable[Order]) -> None:
    """Record that a page of orders (what was bought, totals, status) was shown."""
    _require(actor, VIEW_ORDERS)
    record_read(
        actor,
        [order.subject_id for order in orders],
        "order list",
        categories=_categories(Order, OrderLine),
        purpose=catalog_entry_for(Order).purpose,
    )


def order_for_staff(actor: StaffMember, order_id: uuid.UUID) -> Order:
    """One order with its lines and every payment attempt (brand, last four digits, expiry;
    never the token); 404 if unknown."""
    _require(actor, VIEW_ORDERS)
    order = (
        Order.objects.filter(pk=order_id)
        .select_related("invoice")
        .prefetch_related(
            "lines", Prefetch("payments", queryset=Payment.objects.order_by("-created_at", "-id"))
        )
        .first()
    )
    if order is None:
        raise Http404("No such order.")
    data_keys_prefetch(order.payments.all())
    record_read(
        actor,
        [order.subject_id],
        f"order {order.reference}",
        categories=_categories(Order, OrderLine, Payment),
        purpose=catalog_entry_for(Order).purpose,
    )
    return order


def invoices_for_staff(actor: StaffMember) -> QuerySet[Invoice]:
    """Every invoice, latest number first; unevaluated (the caller paginates, then records the
    read of the page it shows with `invoices_page_read`)."""
    _require(actor, VIEW_INVOICES)
    return Invoice.objects.select_related("order").order_by("-year", "-sequence")


def invoices_page_read(actor: StaffMember, invoices: Iterable[Invoice]) -> None:
    """Record that a page of invoices (with billing names) was shown; open its data keys in
    one query."""
    _require(actor, VIEW_INVOICES)
    record_page_read(actor, invoices, "invoice list")


def invoice_for_staff(actor: StaffMember, invoice_id: uuid.UUID, *, what: str) -> Invoice:
    """One invoice in full (billing details as issued, and the card it was paid with: brand and
    last four digits); 404 if unknown. `what` names the form it is shown in (page or PDF) in
    the access log."""
    _require(actor, VIEW_INVOICES)
    invoice = Invoice.objects.filter(pk=invoice_id).select_related("order").first()
    if invoice is None:
        raise Http404("No such invoice.")
    record_read(
        actor,
        [invoice.subject_id],
        f"invoice {invoice.number} ({what})",
        categories=_categories(Invoice, extra=("payment_details",)),
        purpose=catalog_entry_for(Invoice).purpose,
    )
    return invoice
