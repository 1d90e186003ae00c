"""Customer-facing feedback pages; thin: parse, call a service or selector, render."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.decorators import ratelimit

from tutela.audit.api import Actor
from tutela.core.forms import form_add_service_errors
from tutela.customers.api import Customer, customer_for_user, customer_required
from tutela.feedback.forms import ContestEntryForm, ProblemReportForm, QuestionnaireAnswerForm
from tutela.feedback.selectors import (
    contest_for_customer,
    contests_for_customer,
    open_questionnaires_for_customer,
    own_entry,
    own_response,
    problem_report_for_customer,
    problem_reports_for_customer,
    questionnaire_for_customer,
)
from tutela.feedback.services import (
    contest_enter,
    problem_report_create,
    questionnaire_answer,
)

# The one form anyone may post without an account, so it is rate-limited per IP (R4, R40):
# django-ratelimit, as every form (tutela/visits/ratelimit.py); over the limit, a 429 page.
PROBLEM_REPORT_RATE = "10/10m"


@ratelimit(group="feedback.problem_report", key="ip", rate=PROBLEM_REPORT_RATE, method="POST")
@require_http_methods(["GET", "POST"])
def problem_report_new(request: HttpRequest) -> HttpResponse:
    """Report a problem: signed-in customers, or anonymous visitors (with an optional reply
    address). Staff identities are refused: staff record problems through their own tools."""
    customer: Customer | None = None
    if request.user.is_authenticated:
        customer = None if request.user.is_staff else customer_for_user(request.user)
        if customer is None:
            raise PermissionDenied("Problem reports are sent by customers and visitors.")
    form = ProblemReportForm(request.POST or None, anonymous=customer is None)
    if request.method == "POST" and form.is_valid():
        actor = Actor.customer(id=request.user.pk if customer is not None else None)
        report = problem_report_create(
            about=form.cleaned_data["about"],
            summary=form.cleaned_data["summary"],
            details=form.cleaned_data["details"],
            reply_email=form.cleaned_data.get("reply_email", ""),
            customer=customer,
            actor=actor,
        )
        messages.success(request, "Thank you: your problem report has reached our support team.")
        if customer is not None:
            return redirect("feedback:problem_report_detail", report_id=report.pk)
        return redirect("feedback:problem_report_sent")
    return render(request, "feedback/problem_report_new.html", {"form": form})


@require_GET
def problem_report_sent(request: HttpRequest) -> HttpResponse:
    """The anonymous visitor's confirmation; it shows nothing of the report."""
    return render(request, "feedback/problem_report_sent.html")


@customer_required
@require_GET
def problem_reports(request: HttpRequest, customer: Customer) -> HttpResponse:
    """The customer's own problem reports."""
    return render(
        request,
        "feedback/problem_reports.html",
        {"reports": problem_reports_for_customer(customer)},
    )


@customer_required
@require_GET
def problem_report_detail(
    request: HttpRequest, customer: Customer, report_id: uuid.UUID
) -> HttpResponse:
    """One of the customer's own problem reports (404 for anyone else's)."""
    report = problem_report_for_customer(customer, report_id)
    return render(request, "feedback/problem_report_detail.html", {"report": report})


@customer_required
@require_GET
def questionnaires(request: HttpRequest, customer: Customer) -> HttpResponse:
    """The open research questionnaires, and which of them the customer has answered."""
    return render(
        request,
        "feedback/questionnaires.html",
        {"questionnaires": open_questionnaires_for_customer(customer)},
    )


@customer_required
@require_http_methods(["GET", "POST"])
def questionnaire(request: HttpRequest, customer: Customer, questionnaire_id: int) -> HttpResponse:
    """Answer a questionnaire (every question optional), or see one's own answers to it."""
    questionnaire = questionnaire_for_customer(questionnaire_id)
    response = own_response(customer, questionnaire)
    form = QuestionnaireAnswerForm(
        request.POST if request.method == "POST" and response is None else None,
        questionnaire=questionnaire,
    )
    if request.method == "POST" and response is None and form.is_valid():
        try:
            stored = questionnaire_answer(
                questionnaire=questionnaire,
                customer=customer,
                answers=form.answers(),
                actor=Actor.customer(id=request.user.pk),
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            if stored is None:
                messages.info(
                    request, "You answered no question, so nothing was sent or kept. That is fine."
                )
            else:
                messages.success(request, "Thank you: your answers were sent.")
            return redirect("feedback:questionnaires")
    answers = []
    if response is not None:
        given = response.answers
        answers = [(q.prompt, given.get(str(q.pk), "")) for q in questionnaire.questions.all()]
    return render(
        request,
        "feedback/questionnaire.html",
        {"questionnaire": questionnaire, "form": form, "response": response, "answers": answers},
    )


@customer_required
@require_GET
def contests(request: HttpRequest, customer: Customer) -> HttpResponse:
    """Open contests, and the customer's own entries."""
    return render(request, "feedback/contests.html", {"contests": contests_for_customer(customer)})


@customer_required
@require_http_methods(["GET", "POST"])
def contest(request: HttpRequest, customer: Customer, contest_id: int) -> HttpResponse:
    """A contest's rules and the entry form, or the customer's own entry."""
    contest = contest_for_customer(contest_id)
    entry = own_entry(customer, contest)
    form = ContestEntryForm(request.POST if request.method == "POST" else None)
    # A closed contest is refused by the service, with its own message, whatever the form holds.
    if request.method == "POST" and (form.is_valid() or not contest.is_open):
        try:
            contest_enter(
                contest=contest,
                customer=customer,
                answer=form.cleaned_data.get("answer", ""),
                rules_accepted=bool(form.cleaned_data.get("accept_rules")),
                actor=Actor.customer(id=request.user.pk),
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, f"You have entered \u201c{contest.title}\u201d. Good luck!")
            return redirect("feedback:contest", contest_id=contest.pk)
    return render(
        request, "feedback/contest.html", {"contest": contest, "entry": entry, "form": form}
    )
