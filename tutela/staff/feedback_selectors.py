"""Staff reads of feedback (problem reports, questionnaires, contests), each access-logged (R7).

Kept apart from selectors.py (customer profiles) to keep modules small; the same rules apply:
check the permission again, record one access event per subject whose data the page shows.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, QuerySet
from django.http import Http404

from tutela.crypto.api import data_keys_prefetch
from tutela.feedback.api import (
    Contest,
    ProblemReport,
    Question,
    Questionnaire,
    QuestionnaireResponse,
)
from tutela.policy.api import catalog_entry_for
from tutela.staff.roles import VIEW_CONTESTS, VIEW_PROBLEM_REPORTS, VIEW_QUESTIONNAIRE_RESULTS
from tutela.staff.selectors import StaffMember, _require, record_page_read, record_read


def problem_reports_for_staff(actor: StaffMember) -> QuerySet[ProblemReport]:
    """Every problem report, newest first; unevaluated (the caller paginates, then records the
    read of the page it shows with `problem_reports_page_read`)."""
    _require(actor, VIEW_PROBLEM_REPORTS)
    return ProblemReport.objects.order_by("-created_at", "-id")


def problem_reports_page_read(actor: StaffMember, reports: Iterable[ProblemReport]) -> None:
    """Record that a page of report summaries was shown; open its data keys in one query."""
    _require(actor, VIEW_PROBLEM_REPORTS)
    record_page_read(actor, reports, "problem report list", fields=("summary",))


def problem_report_for_staff(actor: StaffMember, report_id: uuid.UUID) -> ProblemReport:
    """One problem report in full (with any reply address); 404 if unknown."""
    _require(actor, VIEW_PROBLEM_REPORTS)
    report = ProblemReport.objects.filter(pk=report_id).first()
    if report is None:
        raise Http404("No such problem report.")
    entry = catalog_entry_for(ProblemReport)
    record_read(
        actor,
        [report.subject_id],
        "problem report",
        categories=entry.categories,
        purpose=entry.purpose,
    )
    return report


def questionnaires_for_staff(actor: StaffMember) -> QuerySet[Questionnaire]:
    """Every questionnaire with its number of responses (a count: no personal data read)."""
    _require(actor, VIEW_QUESTIONNAIRE_RESULTS)
    return Questionnaire.objects.annotate(response_count=Count("responses")).order_by(
        "-created_at", "-id"
    )


@dataclass(frozen=True)
class QuestionResult:
    """One question's aggregate: how many answered it and, for a choice, each option's count."""

    question: Question
    answered: int
    counts: tuple[tuple[str, int], ...]


def questionnaire_results_for_staff(
    actor: StaffMember, questionnaire_id: int
) -> tuple[Questionnaire, int, list[QuestionResult]]:
    """(questionnaire, respondents, per-question aggregates); 404 if unknown.

    Counting decrypts every response, so it is recorded as a read of each respondent's answers
    (R7), although the page shows only totals. Free-text answers are counted, never shown: they
    may name people, and marketing's role is the aggregate.
    """
    _require(actor, VIEW_QUESTIONNAIRE_RESULTS)
    questionnaire = Questionnaire.objects.filter(pk=questionnaire_id).first()
    if questionnaire is None:
        raise Http404("No such questionnaire.")
    questions = list(questionnaire.questions.all())
    responses = list(QuestionnaireResponse.objects.filter(questionnaire=questionnaire))
    data_keys_prefetch(responses)
    entry = catalog_entry_for(QuestionnaireResponse)
    record_read(
        actor,
        [response.subject_id for response in responses],
        f"questionnaire #{questionnaire.pk} results (aggregate)",
        categories=entry.categories,
        purpose=entry.purpose,
    )
    answer_sets = [response.answers for response in responses]
    results = []
    for question in questions:
        given = [
            answers[str(question.pk)] for answers in answer_sets if str(question.pk) in answers
        ]
        counts = tuple((option, given.count(option)) for option in question.options)
        results.append(QuestionResult(question, len(given), counts))
    return questionnaire, len(responses), results


def contests_for_staff(actor: StaffMember) -> QuerySet[Contest]:
    """Every contest with its number of entries (a count: no entry is decrypted or shown)."""
    _require(actor, VIEW_CONTESTS)
    return Contest.objects.annotate(entry_count=Count("entries")).order_by("-closes_at", "-id")
