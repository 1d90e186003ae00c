"""The personal account: see and correct what we hold (R15)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from django_ratelimit.decorators import ratelimit

from tutela.accounts.api import security_events_for_user
from tutela.audit.api import Actor, access_events_for_subject
from tutela.customers.access import customer_required
from tutela.customers.forms import ProfileForm
from tutela.customers.models import Customer, ProfileChange
from tutela.customers.selectors import profile_history, profile_rows
from tutela.customers.services import customer_update
from tutela.policy.api import current_policy


def _policy_labels() -> dict[str, dict[str, str]]:
    """Readable names for the policy keys the access log stores."""
    policy = current_policy()
    return {
        "purpose_labels": {purpose.key: purpose.label for purpose in policy.purposes},
        "category_labels": {category.key: category.label for category in policy.categories},
    }


@customer_required
def account(request: HttpRequest, customer: Customer) -> HttpResponse:
    """The personal account page: profile, change history, recent sign-ins and who accessed
    the customer's data (R7: staff shown by first name and role)."""
    return render(
        request,
        "customers/account.html",
        {
            "customer": customer,
            "profile_rows": profile_rows(customer),
            "history": profile_history(customer, limit=20),
            "security_events": security_events_for_user(customer.user, limit=10),
            "access_events": access_events_for_subject(str(customer.subject_id), limit=50),
            **_policy_labels(),
        },
    )


# Every saved change writes the history and the access log: limited per account (R4, R40),
# with django-ratelimit as every form (tutela/visits/ratelimit.py); over it, a 429 page.
PROFILE_EDIT_RATE = "10/10m"


@customer_required
@ratelimit(group="customers.profile_edit", key="user", rate=PROFILE_EDIT_RATE, method="POST")
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest, customer: Customer) -> HttpResponse:
    """Edit the profile; a full page without JavaScript, a fragment swapped in by htmx."""
    is_htmx = bool(request.htmx)  # type: ignore[attr-defined]
    template = "customers/_profile_form.html" if is_htmx else "customers/profile_edit.html"
    form = ProfileForm(request.POST or None, instance=Customer.objects.get(pk=customer.pk))
    if request.method == "POST" and form.is_valid():
        changed = customer_update(
            customer=customer,
            changes={name: form.cleaned_data[name] for name in form.changed_data},
            channel=ProfileChange.Channel.SELF_SERVICE,
            actor=Actor.customer(id=request.user.pk),
            request=request,
        )
        messages.success(
            request, f"Saved {len(changed)} change(s)." if changed else "Nothing changed."
        )
        if is_htmx:
            return HttpResponse(status=204, headers={"HX-Redirect": reverse("customers:account")})
        return redirect("customers:account")
    # htmx swaps only 2xx responses, so an invalid form comes back as 200 with its errors.
    return render(request, template, {"form": form})


def contact(request: HttpRequest) -> HttpResponse:
    """How to reach the company, from the policy file; public (the policy's 'To contact us')."""
    return render(request, "customers/contact.html", {"policy": current_policy()})
