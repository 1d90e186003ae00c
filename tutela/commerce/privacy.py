"""Catalog entries for orders, payments and invoices: the financial records (see
tutela.policy.catalog).

All four are held through an erasure request (Erasure.LEGAL_HOLD): "Personal data associated
with purchases or any other financial transaction is stored for at least 6 years, as required by
UK law" and erasure "does not cancel our requirement to keep financial data, such as invoice
information" (Art. 17(3)(b)). Their encrypted fields use the FINANCIAL key, which an erasure
does not shred; the retention rule `financial_records` removes them when the period ends.
"""

from tutela.commerce.models import Invoice, Order, OrderLine, Payment, Product
from tutela.crypto.api import ERASED
from tutela.policy.api import Erasure, catalog_exempt, catalog_register

_ORDER = "order_details"
_PAYMENT = "payment_details"
_INVOICE = "invoices"

catalog_exempt(
    Product, reason="the catalogue of what we sell: names and prices of products, no person's data"
)
catalog_register(
    Order,
    subject="subject_id",
    # "Details of the transactions that you make through our website and the execution of your
    # orders". Kept whole under the hold: what was bought, when and for how much is the record.
    fields={
        "status": _ORDER,
        "subtotal_pence": _ORDER,
        "vat_pence": _ORDER,
        "total_pence": _ORDER,
        "placed_at": _ORDER,
        "paid_at": _ORDER,
    },
    purpose="provide_products",
    erasure=Erasure.LEGAL_HOLD,
    retention="financial_records",
)
catalog_register(
    OrderLine,
    subject="order__subject_id",
    # Kept whole under the hold, like the order.
    fields={
        "description": _ORDER,
        "quantity": _ORDER,
        "unit_price_pence": _ORDER,
        "line_total_pence": _ORDER,
    },
    purpose="provide_products",
    erasure=Erasure.LEGAL_HOLD,
    retention="financial_records",
)
catalog_register(
    Payment,
    subject="subject_id",
    # "Order and payment details": never the card number or security code (R43), only what the
    # provider returns. Minimised under the hold: the card token (it could charge the card
    # again) and the expiry are erased; kept are the amount, date, status, the provider's
    # transaction reference, brand and last four digits, which match the payment to the
    # processor's and the bank's statements and answer a chargeback.
    fields={
        "provider_token": _PAYMENT,
        "provider_reference": _PAYMENT,
        "card_brand": _PAYMENT,
        "card_last4": _PAYMENT,
        "card_exp_month": _PAYMENT,
        "card_exp_year": _PAYMENT,
        "amount_pence": _PAYMENT,
        "status": _PAYMENT,
        "decline_reason": _PAYMENT,
        "created_at": _PAYMENT,
    },
    purpose="provide_products",
    erasure=Erasure.LEGAL_HOLD,
    retention="financial_records",
    anonymise={"provider_token": ERASED, "card_exp_month": ERASED, "card_exp_year": ERASED},
)
catalog_register(
    Invoice,
    subject="subject_id",
    # "maintaining financial statements (ie, billing)". Kept whole under the hold, nothing
    # minimised: a VAT invoice must show the customer's name and address as issued (VAT
    # Regulations 1995, reg. 14), and the copy we keep must match the one they received.
    fields={
        "number": _INVOICE,
        "issued_at": _INVOICE,
        "billing_name": _INVOICE,
        "billing_company": _INVOICE,
        "billing_address": _INVOICE,
        "lines": _INVOICE,
        "subtotal_pence": _INVOICE,
        "vat_pence": _INVOICE,
        "total_pence": _INVOICE,
    },
    purpose="legal_compliance",
    erasure=Erasure.LEGAL_HOLD,
    retention="financial_records",
)
