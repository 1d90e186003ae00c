"""What other apps may import from commerce."""

from tutela.commerce.models import Invoice, Order, OrderLine, Payment, Product
from tutela.commerce.pdf import invoice_pdf_response
from tutela.commerce.selectors import invoice_payment
from tutela.commerce.services import (
    invoice_issue,
    order_place,
    payment_take,
    product_create,
)

__all__ = [
    "Invoice",
    "Order",
    "OrderLine",
    "Payment",
    "Product",
    "invoice_issue",
    "invoice_payment",
    "invoice_pdf_response",
    "order_place",
    "payment_take",
    "product_create",
]
