"""Applications in the personal account; thin: parse, call a service or selector, render."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from tutela.audit.api import Actor
from tutela.core.forms import form_add_service_errors
from tutela.customers.api import Customer, customer_required
from tutela.support.downloads import attachment_response
from tutela.support.forms import ApplicationOpenForm, ReplyForm
from tutela.support.selectors import (
    application_for_customer,
    applications_for_customer,
    attachment_for_customer,
    thread_of,
)
from tutela.support.services import application_close as application_close_service
from tutela.support.services import application_open
from tutela.support.services import application_reply as application_reply_service

# Messages carry files kept in the database, so one account cannot post without limit (R4,
# R40): opening and replying share one budget per account. django-ratelimit, as every form
# (tutela/visits/ratelimit.py); over the limit, a 429 page.
MESSAGE_RATE = "20/h"
message_rate_limit = ratelimit(
    group="support.application_message", key="user", rate=MESSAGE_RATE, method="POST"
)


@customer_required
@require_GET
def applications(request: HttpRequest, customer: Customer) -> HttpResponse:
    """The customer's own applications with their status."""
    return render(
        request,
        "support/applications.html",
        {"applications": applications_for_customer(customer)},
    )


@customer_required
@message_rate_limit
@require_http_methods(["GET", "POST"])
def application_new(request: HttpRequest, customer: Customer) -> HttpResponse:
    """Open an application: a subject, a message and optional files."""
    form = ApplicationOpenForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            application = application_open(
                customer=customer,
                subject_line=form.cleaned_data["subject_line"],
                body=form.cleaned_data["body"],
                attachments=form.cleaned_data["attachments"],
                actor=Actor.customer(id=request.user.pk),
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(
                request, f"Your application {application.reference} has reached our support team."
            )
            return redirect("support:application_detail", application_id=application.pk)
    return render(request, "support/application_new.html", {"form": form})


def _detail(
    request: HttpRequest, customer: Customer, application_id: uuid.UUID, form: ReplyForm
) -> HttpResponse:
    application = application_for_customer(customer, application_id)
    return render(
        request,
        "support/application_detail.html",
        {"thread": thread_of(application), "application": application, "form": form},
    )


@customer_required
@require_GET
def application_detail(
    request: HttpRequest, customer: Customer, application_id: uuid.UUID
) -> HttpResponse:
    """One of the customer's own applications: the thread, the reply form (404 for others)."""
    return _detail(request, customer, application_id, ReplyForm())


@customer_required
@message_rate_limit
@require_POST
def application_reply(
    request: HttpRequest, customer: Customer, application_id: uuid.UUID
) -> HttpResponse:
    """Reply on one's own application; a reply reopens it."""
    application = application_for_customer(customer, application_id)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            application_reply_service(
                application=application,
                customer=customer,
                body=form.cleaned_data["body"],
                attachments=form.cleaned_data["attachments"],
                actor=Actor.customer(id=request.user.pk),
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, "Your reply has been sent to our support team.")
            return redirect("support:application_detail", application_id=application.pk)
    return _detail(request, customer, application_id, form)


@customer_required
@require_POST
def application_close(
    request: HttpRequest, customer: Customer, application_id: uuid.UUID
) -> HttpResponse:
    """Close one's own application (replying later reopens it)."""
    application = application_for_customer(customer, application_id)
    if application_close_service(
        application=application, customer=customer, actor=Actor.customer(id=request.user.pk)
    ):
        messages.success(request, f"Application {application.reference} is closed.")
    return redirect("support:application_detail", application_id=application.pk)


@customer_required
@require_GET
def attachment_download(
    request: HttpRequest, customer: Customer, application_id: uuid.UUID, attachment_id: uuid.UUID
) -> HttpResponse:
    """A file of one's own application, as a download (404 for anyone else's)."""
    return attachment_response(attachment_for_customer(customer, application_id, attachment_id))
