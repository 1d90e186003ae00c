"""Reads for feedback on the customer's side; the trust boundary is the customer's own account."""

from __future__ import annotations

import uuid

from django.http import Http404
from django.utils import timezone

from tutela.crypto.api import data_keys_prefetch
from tutela.customers.api import Customer
from tutela.feedback.models import (
    Contest,
    ContestEntry,
    ProblemReport,
    Questionnaire,
    QuestionnaireResponse,
)


def problem_reports_for_customer(customer: Customer, *, limit: int = 50) -> list[ProblemReport]:
    """The customer's own problem reports, newest first, with their data key opened once."""
    reports = list(ProblemReport.objects.filter(customer=customer)[:limit])
    data_keys_prefetch(reports)
    return reports


def problem_report_for_customer(customer: Customer, report_id: uuid.UUID) -> ProblemReport:
    """One of the customer's own reports; 404 for anyone else's, so ids reveal nothing (R38)."""
    report = ProblemReport.objects.filter(customer=customer, pk=report_id).first()
    if report is None:
        raise Http404("No such problem report.")
    return report


def open_questionnaires_for_customer(
    customer: Customer,
) -> list[tuple[Questionnaire, bool]]:
    """Open questionnaires, newest first, each with whether this customer has answered it."""
    answered = set(
        QuestionnaireResponse.objects.filter(customer=customer).values_list(
            "questionnaire_id", flat=True
        )
    )
    return [(q, q.pk in answered) for q in Questionnaire.objects.filter(is_open=True)]


def questionnaire_for_customer(questionnaire_id: int) -> Questionnaire:
    """An open questionnaire with its questions; 404 for an unknown or closed one."""
    questionnaire = (
        Questionnaire.objects.filter(pk=questionnaire_id, is_open=True)
        .prefetch_related("questions")
        .first()
    )
    if questionnaire is None:
        raise Http404("No such questionnaire, or it is closed.")
    return questionnaire


def own_response(customer: Customer, questionnaire: Questionnaire) -> QuestionnaireResponse | None:
    """The customer's own response to a questionnaire, if they gave one."""
    return QuestionnaireResponse.objects.filter(
        customer=customer, questionnaire=questionnaire
    ).first()


def contests_for_customer(customer: Customer) -> list[tuple[Contest, ContestEntry | None]]:
    """Open contests and those the customer entered, each with the customer's own entry."""
    entries = {entry.contest_id: entry for entry in ContestEntry.objects.filter(customer=customer)}
    contests = Contest.objects.filter(closes_at__gt=timezone.now()) | Contest.objects.filter(
        pk__in=entries
    )
    return [(contest, entries.get(contest.pk)) for contest in contests.distinct()]


def contest_for_customer(contest_id: int) -> Contest:
    """A contest, open or closed (a closed one explains that it is closed); 404 if unknown."""
    contest = Contest.objects.filter(pk=contest_id).first()
    if contest is None:
        raise Http404("No such contest.")
    return contest


def own_entry(customer: Customer, contest: Contest) -> ContestEntry | None:
    """The customer's own entry to a contest, if any."""
    return ContestEntry.objects.filter(customer=customer, contest=contest).first()
