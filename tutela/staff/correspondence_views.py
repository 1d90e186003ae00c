"""Staff correspondence tools for support: a customer's emails and calls, recording them by
hand, call recordings, and filing imported mail that matched no customer (R7, R8, R38)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from tutela.core.forms import form_add_service_errors
from tutela.correspondence.api import call_record_create, email_file, email_record_create
from tutela.customers.api import customer_for_email
from tutela.staff.access import staff_required
from tutela.staff.correspondence_forms import CallRecordForm, EmailRecordForm, FileEmailForm
from tutela.staff.correspondence_selectors import (
    call_for_staff,
    call_recording_for_staff,
    correspondence_customer,
    customer_correspondence_for_staff,
    email_for_staff,
    unmatched_email_for_staff,
    unmatched_emails_for_staff,
    unmatched_emails_page_read,
)
from tutela.staff.roles import (
    FILE_UNMATCHED_EMAIL,
    PLAY_CALL_RECORDINGS,
    RECORD_CORRESPONDENCE,
    VIEW_CORRESPONDENCE,
)
from tutela.staff.selectors import StaffMember

PAGE_SIZE = 25


@staff_required(VIEW_CORRESPONDENCE)
@require_GET
def customer_correspondence(
    request: HttpRequest, member: StaffMember, customer_id: int
) -> HttpResponse:
    """A customer's emails and call records, newest first; the read is access-logged."""
    customer = correspondence_customer(member, customer_id)
    emails, calls = customer_correspondence_for_staff(member, customer)
    return render(
        request,
        "staff/correspondence/customer.html",
        {
            "member": member,
            "customer": customer,
            "emails": emails,
            "calls": calls,
            "can_record": member.can(RECORD_CORRESPONDENCE),
        },
    )


@staff_required(VIEW_CORRESPONDENCE)
@require_GET
def email(request: HttpRequest, member: StaffMember, email_id: uuid.UUID) -> HttpResponse:
    """One email in full, with the kinds of personal data the scan found in it."""
    record = email_for_staff(member, email_id)
    return render(
        request,
        "staff/correspondence/email.html",
        {
            "member": member,
            "email": record,
            "can_file": record.is_unmatched and member.can(FILE_UNMATCHED_EMAIL),
        },
    )


@staff_required(VIEW_CORRESPONDENCE)
@require_GET
def call(request: HttpRequest, member: StaffMember, call_id: uuid.UUID) -> HttpResponse:
    """One call record with its notes, and a link to the recording for roles that may play it."""
    record = call_for_staff(member, call_id)
    return render(
        request,
        "staff/correspondence/call.html",
        {"member": member, "call": record, "can_play": member.can(PLAY_CALL_RECORDINGS)},
    )


@staff_required(PLAY_CALL_RECORDINGS)
@require_GET
def call_recording(request: HttpRequest, member: StaffMember, call_id: uuid.UUID) -> HttpResponse:
    """The recording's audio, as a download; the read is access-logged."""
    recording = call_recording_for_staff(member, call_id)
    response = HttpResponse(bytes(recording.audio), content_type=recording.content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="call-{recording.call_id}.{recording.extension}"'
    )
    # Decrypted personal data: never kept by a browser or proxy cache.
    response["Cache-Control"] = "no-store"
    return response


@staff_required(RECORD_CORRESPONDENCE)
@require_http_methods(["GET", "POST"])
def email_new(request: HttpRequest, member: StaffMember, customer_id: int) -> HttpResponse:
    """Record an email sent to or received from the customer outside the imported mailbox."""
    customer = correspondence_customer(member, customer_id)
    form = EmailRecordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            email_record_create(
                customer=customer, **form.cleaned_data, actor=member.audit_actor, request=request
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, "The email is recorded.")
            return redirect("staff:customer_correspondence", customer_id=customer.pk)
    return render(
        request,
        "staff/correspondence/email_new.html",
        {"member": member, "customer": customer, "form": form},
    )


@staff_required(RECORD_CORRESPONDENCE)
@require_http_methods(["GET", "POST"])
def call_new(request: HttpRequest, member: StaffMember, customer_id: int) -> HttpResponse:
    """Record a phone call with the customer, with an optional recording."""
    customer = correspondence_customer(member, customer_id)
    form = CallRecordForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            call_record_create(
                customer=customer,
                occurred_at=data["occurred_at"],
                direction=data["direction"],
                duration_seconds=data["duration"],
                notes=data["notes"],
                recording=data["recording"],
                actor=member.audit_actor,
                request=request,
            )
        except ValidationError as exc:
            # The service names its field "duration_seconds"; the form calls it "duration".
            if hasattr(exc, "error_dict") and "duration_seconds" in exc.error_dict:
                exc.error_dict["duration"] = exc.error_dict.pop("duration_seconds")
            form_add_service_errors(form, exc)
        else:
            messages.success(request, "The call is recorded.")
            return redirect("staff:customer_correspondence", customer_id=customer.pk)
    return render(
        request,
        "staff/correspondence/call_new.html",
        {"member": member, "customer": customer, "form": form},
    )


@staff_required(VIEW_CORRESPONDENCE)
@require_GET
def unmatched(request: HttpRequest, member: StaffMember) -> HttpResponse:
    """Imported mail that matched no customer, newest first, paginated; the page is logged."""
    page = Paginator(unmatched_emails_for_staff(member), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    unmatched_emails_page_read(member, page.object_list)
    return render(
        request,
        "staff/correspondence/unmatched.html",
        {"member": member, "page": page, "can_file": member.can(FILE_UNMATCHED_EMAIL)},
    )


@staff_required(FILE_UNMATCHED_EMAIL)
@require_http_methods(["GET", "POST"])
def unmatched_file(request: HttpRequest, member: StaffMember, email_id: uuid.UUID) -> HttpResponse:
    """Read an unmatched message and file it to the customer it concerns."""
    record = unmatched_email_for_staff(member, email_id)
    form = FileEmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        customer = customer_for_email(form.cleaned_data["customer_email"])
        if customer is None:
            form.add_error("customer_email", "No customer signs in with this address.")
        else:
            try:
                email_file(
                    record=record, customer=customer, actor=member.audit_actor, request=request
                )
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(request, f"The message is filed to customer #{customer.pk}.")
                return redirect("staff:unmatched_emails")
    return render(
        request,
        "staff/correspondence/unmatched_file.html",
        {"member": member, "email": record, "form": form},
    )
