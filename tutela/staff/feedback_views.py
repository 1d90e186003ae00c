"""Staff feedback tools: problem reports for support, questionnaires and contests for
marketing (R7, R8, R38)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from tutela.core.forms import form_add_service_errors
from tutela.feedback.api import contest_create, questionnaire_create
from tutela.staff.access import staff_required
from tutela.staff.feedback_forms import ContestForm, QuestionnaireForm
from tutela.staff.feedback_selectors import (
    contests_for_staff,
    problem_report_for_staff,
    problem_reports_for_staff,
    problem_reports_page_read,
    questionnaire_results_for_staff,
    questionnaires_for_staff,
)
from tutela.staff.roles import (
    CREATE_CONTEST,
    CREATE_QUESTIONNAIRE,
    VIEW_CONTESTS,
    VIEW_PROBLEM_REPORTS,
    VIEW_QUESTIONNAIRE_RESULTS,
)
from tutela.staff.selectors import StaffMember

PAGE_SIZE = 25


@staff_required(VIEW_PROBLEM_REPORTS)
@require_GET
def problem_reports(request: HttpRequest, member: StaffMember) -> HttpResponse:
    """Problem reports, newest first, paginated; the page's read is access-logged."""
    page = Paginator(problem_reports_for_staff(member), PAGE_SIZE).get_page(request.GET.get("page"))
    problem_reports_page_read(member, page.object_list)
    return render(request, "staff/problem_reports.html", {"member": member, "page": page})


@staff_required(VIEW_PROBLEM_REPORTS)
@require_GET
def problem_report(request: HttpRequest, member: StaffMember, report_id: uuid.UUID) -> HttpResponse:
    """One problem report in full."""
    report = problem_report_for_staff(member, report_id)
    return render(request, "staff/problem_report.html", {"member": member, "report": report})


@staff_required(VIEW_QUESTIONNAIRE_RESULTS)
@require_GET
def questionnaires(request: HttpRequest, member: StaffMember) -> HttpResponse:
    """The questionnaires with their response counts."""
    return render(
        request,
        "staff/questionnaires.html",
        {
            "member": member,
            "questionnaires": questionnaires_for_staff(member),
            "can_create": member.can(CREATE_QUESTIONNAIRE),
        },
    )


@staff_required(CREATE_QUESTIONNAIRE)
@require_http_methods(["GET", "POST"])
def questionnaire_new(request: HttpRequest, member: StaffMember) -> HttpResponse:
    """Write a new questionnaire; it opens to customers at once."""
    form = QuestionnaireForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            questionnaire = questionnaire_create(
                title=form.cleaned_data["title"],
                intro=form.cleaned_data["intro"],
                questions=form.cleaned_data["questions"],
                actor=member.audit_actor,
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, f"Questionnaire \u201c{questionnaire.title}\u201d is open.")
            return redirect("staff:questionnaires")
    return render(request, "staff/questionnaire_new.html", {"member": member, "form": form})


@staff_required(VIEW_QUESTIONNAIRE_RESULTS)
@require_GET
def questionnaire_results(
    request: HttpRequest, member: StaffMember, questionnaire_id: int
) -> HttpResponse:
    """Aggregate results of one questionnaire: counts, never names or free text."""
    questionnaire, respondents, results = questionnaire_results_for_staff(member, questionnaire_id)
    return render(
        request,
        "staff/questionnaire_results.html",
        {
            "member": member,
            "questionnaire": questionnaire,
            "respondents": respondents,
            "results": results,
        },
    )


@staff_required(VIEW_CONTESTS)
@require_GET
def contests(request: HttpRequest, member: StaffMember) -> HttpResponse:
    """The contests with their number of entries."""
    return render(
        request,
        "staff/contests.html",
        {
            "member": member,
            "contests": contests_for_staff(member),
            "can_create": member.can(CREATE_CONTEST),
        },
    )


@staff_required(CREATE_CONTEST)
@require_http_methods(["GET", "POST"])
def contest_new(request: HttpRequest, member: StaffMember) -> HttpResponse:
    """Write a new contest; customers can enter it until it closes."""
    form = ContestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contest = contest_create(**form.cleaned_data, actor=member.audit_actor)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, f"Contest \u201c{contest.title}\u201d is open.")
            return redirect("staff:contests")
    return render(request, "staff/contest_new.html", {"member": member, "form": form})
