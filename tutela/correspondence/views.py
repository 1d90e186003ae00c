"""The customer's own correspondence and call records, read-only; thin: select, render."""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tutela.correspondence.selectors import (
    call_for_customer,
    calls_for_customer,
    email_for_customer,
    emails_for_customer,
)
from tutela.customers.api import Customer, customer_required


@customer_required
@require_GET
def correspondence(request: HttpRequest, customer: Customer) -> HttpResponse:
    """The emails we exchanged with the customer and the calls we recorded, newest first."""
    return render(
        request,
        "correspondence/list.html",
        {"emails": emails_for_customer(customer), "calls": calls_for_customer(customer)},
    )


@customer_required
@require_GET
def email_detail(request: HttpRequest, customer: Customer, email_id: uuid.UUID) -> HttpResponse:
    """One of the customer's own emails in full (404 for anyone else's)."""
    email = email_for_customer(customer, email_id)
    return render(request, "correspondence/email_detail.html", {"email": email})


@customer_required
@require_GET
def call_detail(request: HttpRequest, customer: Customer, call_id: uuid.UUID) -> HttpResponse:
    """One of the customer's own call records with the notes (404 for anyone else's)."""
    call = call_for_customer(customer, call_id)
    return render(request, "correspondence/call_detail.html", {"call": call})
