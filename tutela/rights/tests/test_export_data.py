"""Builders for the access-export tests: a customer with data in every stable app, made through
each app's real services (no fixtures of rows written by hand)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.test import RequestFactory
from django.utils import timezone

from tutela.accounts.api import SecurityEvent, security_event_record
from tutela.audit.api import Actor, access_record
from tutela.customers.api import Customer, ProfileChange, customer_update
from tutela.feedback.models import Contest, ProblemReport, Questionnaire
from tutela.feedback.services import (
    contest_create,
    contest_enter,
    problem_report_create,
    questionnaire_answer,
    questionnaire_create,
)

STAFF = Actor.staff(id=None, first_name="Sam", role="support")
MARKETING = Actor.staff(id=None, first_name="Priya", role="marketing")


@dataclass
class Things:
    """Shared non-personal things customers take part in."""

    questionnaire: Questionnaire
    contest: Contest


def things() -> Things:
    """A questionnaire with a text and a choice question, and an open contest."""
    questionnaire = questionnaire_create(
        title="How do you use our labels?",
        intro="",
        questions=[("What do you print most?", []), ("How often?", ["Daily", "Weekly"])],
        actor=MARKETING,
    )
    contest = contest_create(
        title="Win a label printer",
        rules="One entry per person.",
        question="What would you print first?",
        closes_at=timezone.now() + timedelta(days=30),
        actor=MARKETING,
    )
    return Things(questionnaire, contest)


def sign_in_from(customer: Customer, ip: str) -> SecurityEvent:
    """A sign-in security event from the given address, through the accounts service."""
    request = RequestFactory().get("/", REMOTE_ADDR=ip)
    return security_event_record(
        kind=SecurityEvent.Kind.SIGN_IN, request=request, user=customer.user
    )


def fill(
    customer: Customer,
    shared: Things,
    *,
    tag: str,
    reports: int = 1,
    changes: int = 1,
    sign_ins: int = 1,
    staff_reads: int = 1,
) -> None:
    """Give a customer data in every stable app, `tag` marking their text so it can be found."""
    for n in range(changes):
        customer_update(
            customer=customer,
            changes={"city": f"{tag} City {n}"},
            channel=ProfileChange.Channel.SELF_SERVICE,
            actor=Actor.customer(id=customer.user.pk),
        )
    for n in range(sign_ins):
        sign_in_from(customer, f"203.0.113.{n % 250 + 1}")
    for n in range(reports):
        problem_report_create(
            about=ProblemReport.About.SITE,
            summary=f"{tag} report {n}",
            details=f"{tag} details of problem {n}",
            customer=customer,
            actor=Actor.customer(id=customer.user.pk),
        )
    question = shared.questionnaire.questions.order_by("position").first()
    assert question is not None
    questionnaire_answer(
        questionnaire=shared.questionnaire,
        customer=customer,
        answers={question.pk: f"{tag} answer"},
        actor=Actor.customer(id=customer.user.pk),
    )
    contest_enter(
        contest=shared.contest,
        customer=customer,
        answer=f"{tag} contest answer",
        rules_accepted=True,
        actor=Actor.customer(id=customer.user.pk),
    )
    for _ in range(staff_reads):
        access_record(
            actor=STAFF,
            subject=customer.subject_id,
            categories=["name", "contact_address"],
            purpose="respond_to_requests",
            action="read",
            detail="customers.Customer",
        )


__all__ = [
    "MARKETING",
    "STAFF",
    "Things",
    "fill",
    "sign_in_from",
    "things",
]
