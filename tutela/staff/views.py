"""The staff console: a separate sign-in, then role-checked tools (R8, R15, R38)."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from allauth.account.views import LoginView
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from tutela.core.forms import form_add_service_errors
from tutela.customers.api import Customer, profile_rows
from tutela.staff.access import staff_required
from tutela.staff.forms import CustomerSearchForm, StaffCorrectionForm
from tutela.staff.roles import (
    CORRECT_CUSTOMER_PROFILE,
    CREATE_CONTEST,
    CREATE_QUESTIONNAIRE,
    ROLE_PURPOSES,
    VIEW_APPLICATIONS,
    VIEW_CAMPAIGNS,
    VIEW_CONTESTS,
    VIEW_CORRESPONDENCE,
    VIEW_CUSTOMER_PROFILE,
    VIEW_INVOICES,
    VIEW_ORDERS,
    VIEW_PROBLEM_REPORTS,
    VIEW_QUESTIONNAIRE_RESULTS,
    VIEW_RIGHTS_REQUESTS,
    VIEW_SECURITY_LOG,
    VIEW_SUBSCRIPTIONS,
)
from tutela.staff.selectors import (
    StaffMember,
    correction_reasons_for_staff,
    customer_for_staff,
    customers_search_for_staff,
    customers_search_page_read,
    profile_history_for_staff,
    security_log_for_staff,
    staff_has_second_factor,
)
from tutela.staff.services import customer_correct as customer_correct_service

SEARCH_PAGE_SIZE = 20


class StaffLoginView(LoginView):
    """The staff door: allauth's own sign-in (rate limits, MFA, security log) on its own page.

    The account adapter recognises this URL and refuses customer accounts here, as the customer
    sign-in refuses staff accounts.
    """

    template_name = "staff/login.html"

    def get_form_kwargs(self) -> dict[str, Any]:
        """Labels without a trailing colon, like every other Tutela form."""
        return {**super().get_form_kwargs(), "label_suffix": ""}


@dataclass(frozen=True)
class Tool:
    """A console entry: what a role may do, and where (None: from a customer's page)."""

    title: str
    permission: str
    description: str
    url_name: str | None = None


TOOLS = (
    Tool(
        "Find a customer",
        VIEW_CUSTOMER_PROFILE,
        "By their full email address or part of their name; see their details and history.",
        "staff:customer_search",
    ),
    Tool(
        "Correct a customer's details",
        CORRECT_CUSTOMER_PROFILE,
        "From the customer's page, with the reason kept in their history (R15).",
    ),
    Tool(
        "Review a customer's sign-in log",
        VIEW_SECURITY_LOG,
        "From the customer's page: sign-ins, failures and their IP addresses.",
    ),
    Tool(
        "Visits log",
        VIEW_SECURITY_LOG,
        "IP addresses that reached the site, by hour and part of the site: find an address "
        "or a person.",
        "staff:visits",
    ),
    Tool(
        "Applications",
        VIEW_APPLICATIONS,
        "The queue of support requests from customers' accounts: read, reply, set the status.",
        "staff:applications",
    ),
    Tool(
        "Problem reports",
        VIEW_PROBLEM_REPORTS,
        "Problems customers and visitors reported with our site or products.",
        "staff:problem_reports",
    ),
    Tool(
        "Questionnaire results",
        VIEW_QUESTIONNAIRE_RESULTS,
        "Research questionnaires with their aggregate results (counts only, no names).",
        "staff:questionnaires",
    ),
    Tool(
        "Write a questionnaire",
        CREATE_QUESTIONNAIRE,
        "A research questionnaire; every question is optional for customers.",
        "staff:questionnaire_new",
    ),
    Tool(
        "Contests",
        VIEW_CONTESTS,
        "Contests and promotions with their number of entries (no entrants shown).",
        "staff:contests",
    ),
    Tool(
        "Run a contest",
        CREATE_CONTEST,
        "A contest or promotion: rules that entrants accept, a question and a closing time.",
        "staff:contest_new",
    ),
    Tool(
        "Orders",
        VIEW_ORDERS,
        "Orders with their lines, totals and payment attempts (card brand and last four digits).",
        "staff:orders",
    ),
    Tool(
        "Invoices",
        VIEW_INVOICES,
        "Invoices as issued, as a page or a PDF; financial records kept at least 6 years.",
        "staff:invoices",
    ),
    Tool(
        "Unmatched mail",
        VIEW_CORRESPONDENCE,
        "Imported emails from senders who are not customers, to file to the right customer.",
        "staff:unmatched_emails",
    ),
    Tool(
        "A customer's correspondence and calls",
        VIEW_CORRESPONDENCE,
        "From the customer's page: emails and call records, and recording new ones.",
    ),
    Tool(
        "Rights requests",
        VIEW_RIGHTS_REQUESTS,
        "The queue of requests to use a right, least time left first: identity checks, the "
        "clock, extensions, decisions and answers; enter requests received by email, phone or "
        "post.",
        "staff:dsr_queue",
    ),
    Tool(
        "Newsletter campaigns",
        VIEW_CAMPAIGNS,
        "Write, preview and send a newsletter to everyone whose consent is in force; follow "
        "its progress (counts only).",
        "staff:campaigns",
    ),
    Tool(
        "Mail subscriptions",
        VIEW_SUBSCRIPTIONS,
        "A caller asks to stop the newsletter: find their address and record the unsubscribe.",
        "staff:subscriptions",
    ),
)


@staff_required()
@require_GET
def console(request: HttpRequest, member: StaffMember) -> HttpResponse:
    """The staff home: the member's role and the tools that role may use."""
    return render(
        request,
        "staff/console.html",
        {
            "member": member,
            "purpose": ROLE_PURPOSES[member.role],
            "tools": [tool for tool in TOOLS if member.can(tool.permission)],
            "has_second_factor": staff_has_second_factor(member.user),
        },
    )


@staff_required(VIEW_CUSTOMER_PROFILE)
@require_GET
def customer_search(request: HttpRequest, member: StaffMember) -> HttpResponse:
    """Search customers by exact email or part of the name; paginated."""
    form = CustomerSearchForm(request.GET if "q" in request.GET else None)
    page = None
    if form.is_valid():
        matches = customers_search_for_staff(member, query=form.cleaned_data["q"])
        page = Paginator(matches, SEARCH_PAGE_SIZE).get_page(request.GET.get("page"))
        customers_search_page_read(member, page.object_list)
    return render(
        request,
        "staff/customer_search.html",
        {"member": member, "form": form, "page": page, "query": form.data.get("q", "")},
    )


def _detail_context(member: StaffMember, customer: Customer) -> dict[str, object]:
    history = list(profile_history_for_staff(member, customer))
    reasons = correction_reasons_for_staff(member, history)
    context: dict[str, object] = {
        "member": member,
        "customer": customer,
        "profile_rows": profile_rows(customer),
        "history": [(change, reasons.get(change.pk, "")) for change in history],
        "can_correct": member.can(CORRECT_CUSTOMER_PROFILE),
        "show_security_log": member.can(VIEW_SECURITY_LOG),
        "can_view_correspondence": member.can(VIEW_CORRESPONDENCE),
    }
    if context["show_security_log"]:
        context["security_events"] = security_log_for_staff(member, customer)
    return context


@staff_required(VIEW_CUSTOMER_PROFILE)
@require_GET
def customer_detail(request: HttpRequest, member: StaffMember, customer_id: int) -> HttpResponse:
    """One customer's details and history; the sign-in log for roles allowed to see it."""
    customer = customer_for_staff(member, customer_id)
    return render(request, "staff/customer_detail.html", _detail_context(member, customer))


@staff_required(CORRECT_CUSTOMER_PROFILE)
@require_http_methods(["GET", "POST"])
def customer_correct(request: HttpRequest, member: StaffMember, customer_id: int) -> HttpResponse:
    """Correct a customer's details for them, with a reason (staff-handled rectification, R15)."""
    customer = customer_for_staff(member, customer_id)
    # A ModelForm writes the submitted values onto its instance while validating; a copy keeps
    # `customer` as stored, for the page heading and for the service.
    form = StaffCorrectionForm(request.POST or None, instance=copy.copy(customer))
    if request.method == "POST" and form.is_valid():
        try:
            correction = customer_correct_service(
                customer=customer,
                changes=form.profile_changes(),
                reason=form.cleaned_data["reason"],
                actor=member,
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            count = correction.changes.count()
            messages.success(request, f"Corrected {count} field{'s' if count != 1 else ''}.")
            return redirect("staff:customer_detail", customer_id=customer.pk)
    return render(
        request,
        "staff/customer_correct.html",
        {"member": member, "customer": customer, "form": form},
    )
