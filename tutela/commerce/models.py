"""Products and services, orders, payments and invoices: the financial records.

What is encrypted and why. Everything that identifies a person or their card (the processor's
card token and transaction reference, brand, last four digits, expiry; the invoice's billing
name, company and address) is encrypted under the subject's FINANCIAL key (R6, R43). That key is
apart from the account key, so erasing the account (shredding the ACCOUNT key) leaves the
financial records readable for their 6-year retention (R14); retention later shreds FINANCIAL.
What was bought, for how much and when stays in the clear: it is pseudonymous (linked to a
person only through subject_id), finance must total it in SQL, and it is catalogued as personal
data all the same, so exports and retention reach it (privacy.py).

A full card number or security code is never stored anywhere: the provider's hosted field turns
them into a token before anything reaches these models (providers/, docs/security.md).
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from tutela.crypto.api import EncryptedTextField, KeyClass
from tutela.customers.api import Customer, validate_plain_text

# UK standard rate; stated on every order and invoice, and snapshotted with them.
VAT_RATE_PERCENT = 20
MAX_QUANTITY = 99
# One price limit for every product: £100,000.00 keeps totals far from integer limits.
MAX_PRICE_PENCE = 10_000_000


class Currency(models.TextChoices):
    """The currencies we sell in: pounds sterling only."""

    GBP = "GBP", "Pound sterling"


def _financial_text(label: str, **options: Any) -> EncryptedTextField:
    """A value of a financial record, encrypted under the subject's FINANCIAL key (R6, R14)."""
    return EncryptedTextField(label, key_class=KeyClass.FINANCIAL, **options)


class Product(models.Model):
    """A product or service in our catalogue, with its price before VAT."""

    class Kind(models.TextChoices):
        PRODUCT = "product", "Product"
        SERVICE = "service", "Service"

    name = models.CharField(max_length=150, validators=[validate_plain_text])
    description = models.TextField(max_length=1000, blank=True, validators=[validate_plain_text])
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # Whole pence, excluding VAT: integers never round, floats do.
    price_pence = models.PositiveIntegerField(
        "price in pence (excluding VAT)",
        validators=[MinValueValidator(1), MaxValueValidator(MAX_PRICE_PENCE)],
    )
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.GBP)
    # Withdrawn products stay, so past orders still point at them.
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["kind", "name", "id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["name"], name="commerce_product_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Order(models.Model):
    """A customer's order: lines with their prices as ordered, totals and UK VAT."""

    class Status(models.TextChoices):
        AWAITING_PAYMENT = "awaiting_payment", "Awaiting payment"
        PAID = "paid", "Paid"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # SET_NULL, not CASCADE: an order is a financial record and must outlive the account; it
    # stays linked to its person through subject_id until retention removes it (R14).
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    subject_id = models.UUIDField(editable=False, db_index=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.AWAITING_PAYMENT
    )
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.GBP)
    vat_rate_percent = models.PositiveSmallIntegerField(default=VAT_RATE_PERCENT)
    subtotal_pence = models.PositiveIntegerField()
    vat_pence = models.PositiveIntegerField()
    total_pence = models.PositiveIntegerField()
    placed_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-placed_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["customer", "-placed_at"])]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=models.Q(total_pence=models.F("subtotal_pence") + models.F("vat_pence")),
                name="commerce_order_total_adds_up",
            )
        ]

    def __str__(self) -> str:
        return f"order {self.reference}"

    @property
    def reference(self) -> str:
        """The short reference customers and staff quote: the first 8 hex digits of the id."""
        return self.id.hex[:8].upper()


class OrderLine(models.Model):
    """One line of an order, with the product's name and price as they were when ordered."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    # PROTECT: a product that was sold is withdrawn (active=False), never deleted.
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_lines")
    description = models.CharField(max_length=150)
    kind = models.CharField(max_length=8, choices=Product.Kind.choices)
    quantity = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_QUANTITY)]
    )
    unit_price_pence = models.PositiveIntegerField()
    line_total_pence = models.PositiveIntegerField()

    class Meta:
        ordering: ClassVar[list[str]] = ["order", "position"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["order", "position"], name="commerce_line_position")
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.description}"


class Payment(models.Model):
    """One attempt to pay an order through the payment provider: approved or declined.

    Card-industry practice (PCI DSS, R43): only what the provider gives back is kept, a token,
    the brand, the last four digits and the expiry; never the card number or security code.
    """

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", "Paid"
        DECLINED = "declined", "Declined"

    # A UUID assigned in Python: the encrypted values are bound to their row id before insert;
    # it is also the idempotency key sent with the charge.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    subject_id = models.UUIDField(editable=False, db_index=True)
    # The provider's name as it calls itself (e.g. "fake"), to know where the token belongs.
    provider = models.CharField(max_length=40)
    # The provider's token for the card: lets the provider charge or refund it, useless elsewhere.
    provider_token = _financial_text("card token", max_length=200)
    # The provider's reference of this charge (empty when declined): what reconciliation uses.
    provider_reference = _financial_text("transaction reference", max_length=200, blank=True)
    card_brand = _financial_text("card brand", max_length=20)
    card_last4 = _financial_text("last four digits", max_length=4)
    card_exp_month = _financial_text("expiry month", max_length=2)
    card_exp_year = _financial_text("expiry year", max_length=4)
    amount_pence = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.GBP)
    status = models.CharField(max_length=16, choices=Status.choices)
    # The provider's reason for a decline, as it words it ("insufficient_funds").
    decline_reason = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["order", "-created_at"])]

    def __str__(self) -> str:
        return f"payment {self.pk} ({self.status})"


class InvoiceSequence(models.Model):
    """The last invoice number used in a year; locked while the next one is allocated."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"invoices of {self.year}: {self.last_number}"


class Invoice(models.Model):
    """A VAT invoice for a paid order, numbered without gaps per year (INV-2026-000123).

    The billing details are a snapshot of the profile when the invoice was issued, encrypted
    under the FINANCIAL key: an invoice stays as issued when the customer later corrects their
    details or has their account erased.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="invoice")
    subject_id = models.UUIDField(editable=False, db_index=True)
    number = models.CharField(max_length=20, unique=True)
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    issued_at = models.DateTimeField(default=timezone.now)
    billing_name = _financial_text("billing name", max_length=150)
    billing_company = _financial_text("billing company", max_length=150, blank=True)
    # The postal address, one line per line as printed.
    billing_address = _financial_text("billing address", max_length=600)
    # [{"description", "kind", "quantity", "unit_price_pence", "line_total_pence"}], as invoiced.
    lines = models.JSONField()
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.GBP)
    vat_rate_percent = models.PositiveSmallIntegerField()
    subtotal_pence = models.PositiveIntegerField()
    vat_pence = models.PositiveIntegerField()
    total_pence = models.PositiveIntegerField()

    class Meta:
        ordering: ClassVar[list[str]] = ["-year", "-sequence"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["year", "sequence"], name="commerce_invoice_sequence")
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def billing_lines(self) -> list[str]:
        """The billing name, company and address as printed, one item per line."""
        lines = [self.billing_name, self.billing_company, *self.billing_address.splitlines()]
        return [line for line in lines if line]
