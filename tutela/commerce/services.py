"""Writes for commerce: each refuses bad input with a ValidationError and then stores nothing.

Orders, payments and invoices are financial records: each is written with its access-log event
in the same transaction (R7), so the log and the records never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_countries import countries

from tutela.audit.api import Actor, access_record
from tutela.commerce.models import (
    MAX_QUANTITY,
    VAT_RATE_PERCENT,
    Currency,
    Invoice,
    InvoiceSequence,
    Order,
    OrderLine,
    Payment,
    Product,
)
from tutela.commerce.providers import CardToken, payment_provider
from tutela.crypto.api import is_erased
from tutela.customers.api import Customer
from tutela.policy.api import catalog_entry_for

MAX_LINES = 20


def product_create(
    *, name: str, description: str, kind: str, price_pence: int, actor: Actor
) -> Product:
    """Add a product or service to the catalogue; refuses (storing nothing) a duplicate name,
    a price outside 1p to £100,000, or text that is not plain. `actor` is for the caller's logs:
    the catalogue holds no personal data."""
    product = Product(
        name=name.strip(), description=description.strip(), kind=kind, price_pence=price_pence
    )
    product.full_clean()
    with transaction.atomic():
        product.save()
    return product


def vat_for(subtotal_pence: int, rate_percent: int = VAT_RATE_PERCENT) -> int:
    """VAT on a net amount in whole pence, rounded half up (HMRC allows rounding to the nearest
    penny on the invoice total)."""
    return (subtotal_pence * rate_percent + 50) // 100


def _order_lines(lines: Sequence[tuple[Product, int]]) -> list[OrderLine]:
    """Unsaved lines with their price snapshot; ValidationError keyed by form field."""
    if not lines:
        raise ValidationError({"product": "Choose a product or service to order."})
    if len(lines) > MAX_LINES:
        raise ValidationError({"product": f"At most {MAX_LINES} lines in one order."})
    built = []
    for position, (product, quantity) in enumerate(lines, start=1):
        if not product.active:
            raise ValidationError({"product": f"\u201c{product.name}\u201d is no longer sold."})
        if product.currency != Currency.GBP:
            raise ValidationError({"product": f"\u201c{product.name}\u201d is not priced in GBP."})
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise ValidationError({"quantity": "Enter the quantity as a whole number."})
        if not 1 <= quantity <= MAX_QUANTITY:
            raise ValidationError({"quantity": f"Order between 1 and {MAX_QUANTITY} of each item."})
        built.append(
            OrderLine(
                position=position,
                product=product,
                description=product.name,
                kind=product.kind,
                quantity=quantity,
                unit_price_pence=product.price_pence,
                line_total_pence=product.price_pence * quantity,
            )
        )
    return built


@dataclass(frozen=True)
class OrderQuote:
    """What an order would be: its lines (unsaved) and totals with VAT."""

    lines: list[OrderLine]
    subtotal_pence: int
    vat_rate_percent: int
    vat_pence: int
    total_pence: int


def order_quote(*, lines: Sequence[tuple[Product, int]]) -> OrderQuote:
    """The lines and totals an order of these (product, quantity) pairs would have; stores
    nothing. Refuses what order_place refuses, with the same messages."""
    built = _order_lines(lines)
    subtotal = sum(line.line_total_pence for line in built)
    vat = vat_for(subtotal)
    return OrderQuote(built, subtotal, VAT_RATE_PERCENT, vat, subtotal + vat)


def order_place(
    *,
    customer: Customer,
    lines: Sequence[tuple[Product, int]],
    actor: Actor,
    request: HttpRequest | None = None,
) -> Order:
    """Place an order awaiting payment: each line keeps the product's name and price as they are
    now, and the totals state UK VAT at 20%.

    Refuses with a ValidationError keyed by field (product, quantity), storing nothing: no line,
    a withdrawn product, a quantity outside 1 to MAX_QUANTITY. Side effects: the order, its
    lines and one access-log event (order details created), in one transaction.
    """
    quote = order_quote(lines=lines)
    order = Order(
        customer=customer,
        subject_id=customer.subject_id,
        vat_rate_percent=quote.vat_rate_percent,
        subtotal_pence=quote.subtotal_pence,
        vat_pence=quote.vat_pence,
        total_pence=quote.total_pence,
    )
    entry = catalog_entry_for(Order)
    with transaction.atomic():
        order.save()
        for line in quote.lines:
            line.order = order
        OrderLine.objects.bulk_create(quote.lines)
        access_record(
            actor=actor,
            subject=order.subject_id,
            categories=entry.categories,
            purpose=entry.purpose,
            action="create",
            request=request,
            detail=f"order {order.reference} placed",
        )
    return order


def payment_take(
    *, order: Order, card: CardToken, actor: Actor, request: HttpRequest | None = None
) -> Payment:
    """Charge the order's total to a tokenised card; on approval mark it paid and invoice it.

    Side effects, in one transaction with the order locked (so two tabs cannot pay twice): a
    Payment row holding only the token, brand, last four digits and expiry (R43), approved or
    declined with the provider's reason; when approved, the order marked paid and its invoice
    issued (invoice_issue). One access-log event for the payment, one for the invoice.
    Refuses with a ValidationError, charging nothing, an order that is already paid.

    The charge is made while the lock is held: the payment's id is the idempotency key, so a
    retry after a crash cannot charge twice at a real provider.
    """
    provider = payment_provider()
    entry = catalog_entry_for(Payment)
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status != Order.Status.AWAITING_PAYMENT:
            raise ValidationError("This order is already paid; nothing was charged.", code="paid")
        payment = Payment(
            order=locked,
            subject_id=locked.subject_id,
            provider=provider.name,
            provider_token=card.token,
            card_brand=card.brand,
            card_last4=card.last4,
            card_exp_month=f"{card.exp_month:02d}",
            card_exp_year=str(card.exp_year),
            amount_pence=locked.total_pence,
            currency=locked.currency,
            status=Payment.Status.DECLINED,
        )
        # A provider's answer is input too: refuse what would not fit, before charging.
        payment.full_clean(exclude=["order"])
        result = provider.charge(
            token=card.token,
            amount_pence=payment.amount_pence,
            currency=payment.currency,
            idempotency_key=str(payment.pk),
        )
        if result.approved:
            payment.status = Payment.Status.SUCCEEDED
            payment.provider_reference = result.reference
        else:
            payment.decline_reason = (result.decline_reason or "declined")[:100]
        payment.save()
        access_record(
            actor=actor,
            subject=payment.subject_id,
            categories=entry.categories,
            purpose=entry.purpose,
            action="create",
            request=request,
            detail=f"payment for order {locked.reference}: {payment.status}",
        )
        if result.approved:
            locked.status = Order.Status.PAID
            locked.paid_at = payment.created_at
            locked.save(update_fields=["status", "paid_at"])
            invoice_issue(order=locked, actor=actor, request=request)
    return payment


def _invoice_sequence_next(year: int) -> int:
    """The next invoice number of `year`, from a row locked until the transaction ends.

    Allocated in the caller's transaction: if the invoice is not stored, the number is not used
    either, so the numbers have no gaps (a VAT requirement). get_or_create handles two first
    invoices of a year racing to create the row (the loser reads the winner's row, locked).
    """
    counter, _ = InvoiceSequence.objects.select_for_update().get_or_create(year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def _billing_address(customer: Customer) -> str:
    country = countries.name(customer.country) or customer.country
    parts = [customer.address_line1, customer.address_line2, customer.city, customer.postcode]
    return "\n".join([*(part for part in parts if part), str(country)])


def invoice_issue(*, order: Order, actor: Actor, request: HttpRequest | None = None) -> Invoice:
    """Issue the VAT invoice of a paid order, with the next number of the year.

    Side effects: the invoice (its billing name, company and address copied from the profile
    now, encrypted under the FINANCIAL key so later corrections or an account erasure leave it
    as issued), the year's counter moved on by one, and one access-log event, in one
    transaction. Refuses with a ValidationError an unpaid order, a second invoice, or a
    profile whose details were erased.
    """
    entry = catalog_entry_for(Invoice)
    with transaction.atomic():
        # of=("self",): lock the order only; the customer is joined by a nullable (outer) join.
        locked = (
            Order.objects.select_for_update(of=("self",))
            .select_related("customer")
            .get(pk=order.pk)
        )
        if locked.status != Order.Status.PAID:
            raise ValidationError("Only a paid order is invoiced.", code="unpaid")
        if Invoice.objects.filter(order=locked).exists():
            raise ValidationError("This order already has an invoice.", code="duplicate")
        customer = locked.customer
        if customer is None or is_erased(customer.full_name):
            raise ValidationError(
                "The customer's billing details are no longer held.", code="no_billing_details"
            )
        issued_at = timezone.now()
        year = timezone.localdate(issued_at).year
        sequence = _invoice_sequence_next(year)
        invoice = Invoice(
            order=locked,
            subject_id=locked.subject_id,
            number=f"INV-{year}-{sequence:06d}",
            year=year,
            sequence=sequence,
            issued_at=issued_at,
            billing_name=customer.full_name,
            billing_company=customer.company_name,
            billing_address=_billing_address(customer),
            lines=[
                {
                    "description": line.description,
                    "kind": line.kind,
                    "quantity": line.quantity,
                    "unit_price_pence": line.unit_price_pence,
                    "line_total_pence": line.line_total_pence,
                }
                for line in locked.lines.all()
            ],
            currency=locked.currency,
            vat_rate_percent=locked.vat_rate_percent,
            subtotal_pence=locked.subtotal_pence,
            vat_pence=locked.vat_pence,
            total_pence=locked.total_pence,
        )
        invoice.full_clean(exclude=["order"])
        invoice.save()
        access_record(
            actor=actor,
            subject=invoice.subject_id,
            categories=entry.categories,
            purpose=entry.purpose,
            action="create",
            request=request,
            detail=f"invoice {invoice.number} issued; billing details copied from the profile",
        )
    return invoice
