"""Support records a caller's unsubscribe: the policy's third way out (R21, R24, R7, R8)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from tutela.consent.api import newsletter_unsubscribe_by_phone
from tutela.core.forms import form_add_service_errors
from tutela.staff.access import staff_required
from tutela.staff.consent_forms import PhoneUnsubscribeForm, SubscriptionLookupForm
from tutela.staff.consent_selectors import subscription_for_staff
from tutela.staff.roles import RECORD_PHONE_UNSUBSCRIBE, VIEW_SUBSCRIPTIONS
from tutela.staff.selectors import StaffMember


@staff_required(VIEW_SUBSCRIPTIONS)
@require_http_methods(["GET", "POST"])
def subscriptions(request: HttpRequest, member: StaffMember) -> HttpResponse:
    """Find the caller's subscription by address (posted: no address in URLs or logs)."""
    form = SubscriptionLookupForm(request.POST or None)
    found = None
    if request.method == "POST" and form.is_valid():
        found = subscription_for_staff(member, form.cleaned_data["email"])
    return render(
        request,
        "staff/consent/subscriptions.html",
        {
            "member": member,
            "form": form,
            "found": found,
            "unsubscribe_form": PhoneUnsubscribeForm(
                initial={"email": found.email} if found else None
            ),
            "can_unsubscribe": member.can(RECORD_PHONE_UNSUBSCRIBE),
        },
    )


@staff_required(RECORD_PHONE_UNSUBSCRIBE)
@require_POST
def subscription_unsubscribe(request: HttpRequest, member: StaffMember) -> HttpResponse:
    """Record the caller's unsubscribe, at once, with this staff member as the evidence."""
    form = PhoneUnsubscribeForm(request.POST)
    if form.is_valid():
        try:
            outcome = newsletter_unsubscribe_by_phone(
                email=form.cleaned_data["email"],
                suppress=form.cleaned_data["suppress"],
                actor=member.audit_actor,
                request=request,
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            done = [
                what
                for what, happened in (
                    ("unsubscribed from the newsletter", outcome.withdrawn),
                    ("added to the do-not-email list", outcome.suppressed),
                )
                if happened
            ]
            messages.success(
                request,
                f"The address was {' and '.join(done)}."
                if done
                else "Nothing changed: the address was not subscribed"
                + (
                    ", and it is already on the do-not-email list."
                    if form.cleaned_data["suppress"]
                    else "."
                ),
            )
            return redirect("staff:subscriptions")
    return render(
        request,
        "staff/consent/subscriptions.html",
        {
            "member": member,
            "form": SubscriptionLookupForm(),
            "found": None,
            "unsubscribe_form": form,
            "can_unsubscribe": True,
        },
        status=400,
    )
