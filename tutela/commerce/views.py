"""The shop: browse, order, pay, see orders and invoices. Thin: parse, call a service or
selector, render."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from tutela.audit.api import Actor
from tutela.commerce.forms import CardForm, OrderForm
from tutela.commerce.models import Order, Payment
from tutela.commerce.pdf import invoice_pdf_response
from tutela.commerce.providers import payment_provider
from tutela.commerce.selectors import (
    invoice_for_customer,
    invoice_payment,
    order_for_customer,
    orders_for_customer,
    product_for_sale,
    products_for_sale,
)
from tutela.commerce.services import order_place, order_quote, payment_take
from tutela.core.forms import form_add_service_errors
from tutela.customers.api import Customer, customer_required
from tutela.policy.api import current_policy

# Card testing (trying stolen numbers one after another) is the classic abuse of a payment
# form: a few attempts per account and per address, in the shared cache (R4, R40), with
# django-ratelimit as every form (tutela/visits/ratelimit.py); over the limit, a 429 page.
PAYMENT_RATE_PER_ACCOUNT = "10/h"
PAYMENT_RATE_PER_ADDRESS = "20/h"

# What a customer is told for each decline reason the fake provider gives; others: generic.
DECLINE_MESSAGES = {
    "card_declined": "Your card was declined by your bank.",
    "insufficient_funds": "Your card was declined: insufficient funds.",
}


@require_GET
def catalogue(request: HttpRequest) -> HttpResponse:
    """The products and services we sell; anyone may browse, customers may order."""
    return render(request, "commerce/catalogue.html", {"products": products_for_sale()})


@customer_required
@require_http_methods(["GET", "POST"])
def order_new(request: HttpRequest, customer: Customer) -> HttpResponse:
    """Choose a product and quantity, see the totals with VAT, then confirm the order.

    Two steps through one form: "review" shows the totals and stores nothing; "confirm" places
    the order and goes on to payment; "edit" goes back to the choice, as it was.
    """
    initial = {}
    if request.method == "GET" and request.GET.get("product", "").isdigit():
        initial["product"] = product_for_sale(int(request.GET["product"])).pk
    form = OrderForm(request.POST if request.method == "POST" else None, initial=initial)
    quote = None
    step = request.POST.get("step", "review")
    if request.method == "POST" and step != "edit" and form.is_valid():
        lines = [(form.cleaned_data["product"], form.cleaned_data["quantity"])]
        try:
            if step == "confirm":
                order = order_place(
                    customer=customer,
                    lines=lines,
                    actor=Actor.customer(id=request.user.pk),
                    request=request,
                )
                messages.success(request, f"Order {order.reference} placed. Now pay for it.")
                return redirect("commerce:order_pay", order_id=order.pk)
            quote = order_quote(lines=lines)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
    return render(request, "commerce/order_new.html", {"form": form, "quote": quote})


@customer_required
@require_GET
def orders(request: HttpRequest, customer: Customer) -> HttpResponse:
    """The customer's own orders with their status and invoices."""
    return render(request, "commerce/orders.html", {"orders": orders_for_customer(customer)})


@customer_required
@require_GET
def order_detail(request: HttpRequest, customer: Customer, order_id: uuid.UUID) -> HttpResponse:
    """One of the customer's own orders (404 for anyone else's)."""
    order = order_for_customer(customer, order_id)
    return render(request, "commerce/order_detail.html", {"order": order})


def _pay_page(
    request: HttpRequest, order: Order, form: CardForm, *, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "commerce/order_pay.html",
        {"order": order, "form": form, "provider": payment_provider()},
        status=status,
    )


@never_cache
@customer_required
@require_GET
def order_pay(request: HttpRequest, customer: Customer, order_id: uuid.UUID) -> HttpResponse:
    """The payment page: the order's total and the provider's hosted card field."""
    order = order_for_customer(customer, order_id)
    if order.status != Order.Status.AWAITING_PAYMENT:
        messages.info(request, "This order is already paid.")
        return redirect("commerce:order_detail", order_id=order.pk)
    return _pay_page(request, order, CardForm())


# The card number and security code pass through this one request and nowhere else: Django's
# error reports show them as stars (sensitive_post_parameters, sensitive_variables), no log
# line names them, the session and the database never see them; the form never writes them
# back into the page.
@sensitive_post_parameters("card_number", "cvc", "expiry")
@never_cache
@customer_required
@require_POST
@ratelimit(group="commerce.card", key="user", rate=PAYMENT_RATE_PER_ACCOUNT, method="POST")
@ratelimit(group="commerce.card", key="ip", rate=PAYMENT_RATE_PER_ADDRESS, method="POST")
@sensitive_variables()
def order_pay_card(request: HttpRequest, customer: Customer, order_id: uuid.UUID) -> HttpResponse:
    """The hosted card field: it stands for the provider's own page, which turns the card into
    a token; Tutela then charges the token (payment_take) and keeps only what it returns."""
    order = order_for_customer(customer, order_id)
    if order.status != Order.Status.AWAITING_PAYMENT:
        messages.info(request, "This order is already paid; nothing was charged.")
        return redirect("commerce:order_detail", order_id=order.pk)
    form = CardForm(request.POST)
    if not form.is_valid():
        return _pay_page(request, order, form)
    try:
        token = payment_provider().tokenize(card=form.card())
    except ValidationError as exc:
        form_add_service_errors(form, exc)
        return _pay_page(request, order, form)
    try:
        payment = payment_take(
            order=order, card=token, actor=Actor.customer(id=request.user.pk), request=request
        )
    except ValidationError as exc:
        messages.info(request, " ".join(exc.messages))
        return redirect("commerce:order_detail", order_id=order.pk)
    if payment.status != Payment.Status.SUCCEEDED:
        reason = DECLINE_MESSAGES.get(payment.decline_reason, "Your card was declined.")
        form.add_error(None, f"{reason} No money was taken; you can try another card.")
        return _pay_page(request, order, form)
    invoice = order_for_customer(customer, order.pk).invoice
    messages.success(
        request, f"Thank you: payment received. Your invoice {invoice.number} is ready."
    )
    return redirect("commerce:order_detail", order_id=order.pk)


@never_cache
@customer_required
@require_GET
def invoice_detail(request: HttpRequest, customer: Customer, invoice_id: uuid.UUID) -> HttpResponse:
    """One of the customer's own invoices, as a page (404 for anyone else's)."""
    invoice = invoice_for_customer(customer, invoice_id)
    return render(
        request,
        "commerce/invoice.html",
        {"invoice": invoice, "payment": invoice_payment(invoice), "seller": current_policy()},
    )


@never_cache
@customer_required
@require_GET
def invoice_pdf(request: HttpRequest, customer: Customer, invoice_id: uuid.UUID) -> HttpResponse:
    """One of the customer's own invoices, as a PDF (404 for anyone else's)."""
    return invoice_pdf_response(invoice_for_customer(customer, invoice_id))
