"""Writes for feedback: each refuses bad input with a ValidationError and then stores nothing."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tutela.audit.api import Actor
from tutela.customers.api import Customer, validate_plain_text
from tutela.feedback.models import (
    Contest,
    ContestEntry,
    ProblemReport,
    Question,
    Questionnaire,
    QuestionnaireResponse,
)


def problem_report_create(
    *,
    about: str,
    summary: str,
    details: str,
    customer: Customer | None,
    reply_email: str = "",
    actor: Actor,
) -> ProblemReport:
    """Store a problem report from a customer, or from an anonymous visitor (customer=None).

    A customer's report is filed under their subject id and needs no reply address (their
    account has one); an anonymous report gets a random subject id of its own (see the model).
    Not access-logged: the person is writing their own data (R7 logs staff, jobs and the API).
    `actor` names who sends it, for the caller's logs and future channels (staff on the phone).
    """
    report = ProblemReport(
        customer=customer,
        subject_id=customer.subject_id if customer is not None else uuid.uuid4(),
        about=about,
        summary=summary.strip(),
        details=details.strip(),
        reply_email="" if customer is not None else reply_email.strip(),
    )
    with transaction.atomic():
        # ValidationError keyed by field (NUL and control characters, markup, lengths, email).
        report.full_clean(exclude=["customer"])
        report.save()
    return report


ANSWER_MAX = 2000
QUESTIONS_MAX = 20
OPTIONS_MAX = 10


def questionnaire_create(
    *, title: str, intro: str, questions: Sequence[tuple[str, Sequence[str]]], actor: Actor
) -> Questionnaire:
    """Create an open questionnaire from (prompt, options) pairs; no options = a text question.

    Refuses with a ValidationError, storing nothing, an empty title, no questions or more than
    QUESTIONS_MAX, a choice question with fewer than two options, or text that is not plain.
    """
    if not questions:
        raise ValidationError({"questions": "Write at least one question."})
    if len(questions) > QUESTIONS_MAX:
        raise ValidationError({"questions": f"At most {QUESTIONS_MAX} questions."})
    with transaction.atomic():
        questionnaire = Questionnaire(
            title=title.strip(), intro=intro.strip(), created_by_label=actor.label
        )
        questionnaire.full_clean()
        questionnaire.save()
        for position, (prompt, options) in enumerate(questions, start=1):
            options = [option.strip() for option in options if option.strip()]
            if len(options) == 1 or len(options) > OPTIONS_MAX:
                raise ValidationError(
                    {"questions": f"Question {position}: give 2 to {OPTIONS_MAX} options, or none."}
                )
            for option in options:
                _check_plain(option, f"Question {position}, option {option[:20]!r}")
            question = Question(
                questionnaire=questionnaire,
                position=position,
                prompt=prompt.strip(),
                kind=Question.Kind.CHOICE if options else Question.Kind.TEXT,
                options=options,
            )
            try:
                question.full_clean()
            except ValidationError as exc:
                raise ValidationError(
                    {"questions": [f"Question {position}: {m}" for m in exc.messages]}
                ) from None
            question.save()
    return questionnaire


def _check_plain(value: str, where: str) -> None:
    try:
        validate_plain_text(value)
    except ValidationError as exc:
        raise ValidationError({"questions": f"{where}: {exc.messages[0]}"}) from None


def questionnaire_answer(
    *,
    questionnaire: Questionnaire,
    customer: Customer,
    answers: Mapping[int, str],
    actor: Actor,
) -> QuestionnaireResponse | None:
    """Store the answers a customer chose to give; None, storing nothing, if they gave none.

    Every question is optional ("although you may not answer them"), so an empty response is
    accepted and leaves no trace at all: no row, no data key. Refuses with a ValidationError
    keyed by question id a closed questionnaire, a second response, an unknown question, an
    answer outside a choice question's options, or text that is too long or not plain.
    `actor` is the customer; not access-logged (their own data).
    """
    questions = {question.pk: question for question in questionnaire.questions.all()}
    given: dict[str, str] = {}
    errors: dict[str, str] = {}
    for question_id, answer in answers.items():
        answer = str(answer).strip()
        question = questions.get(question_id)
        if question is None:
            errors[str(question_id)] = "This question is not part of the questionnaire."
        elif not answer:
            continue
        elif question.kind == Question.Kind.CHOICE and answer not in question.options:
            errors[str(question_id)] = "Choose one of the options, or leave it unanswered."
        elif len(answer) > ANSWER_MAX:
            errors[str(question_id)] = f"At most {ANSWER_MAX} characters (you gave {len(answer)})."
        else:
            try:
                validate_plain_text(answer)
            except ValidationError as exc:
                errors[str(question_id)] = exc.messages[0]
            else:
                given[str(question_id)] = answer
    if errors:
        raise ValidationError(errors)
    if not questionnaire.is_open:
        raise ValidationError("This questionnaire is closed.", code="closed")
    if not given:
        return None
    if QuestionnaireResponse.objects.filter(
        questionnaire=questionnaire, customer=customer
    ).exists():
        raise ValidationError("You have already answered this questionnaire.", code="duplicate")
    response = QuestionnaireResponse(
        questionnaire=questionnaire,
        customer=customer,
        subject_id=customer.subject_id,
        answers=given,
    )
    try:
        with transaction.atomic():
            response.save()
    except IntegrityError:
        raise ValidationError(
            "You have already answered this questionnaire.", code="duplicate"
        ) from None
    return response


def contest_create(
    *, title: str, rules: str, question: str, closes_at: datetime, actor: Actor
) -> Contest:
    """Create a contest open until `closes_at`; refuses (storing nothing) a past closing time
    or text that is empty, too long or not plain."""
    contest = Contest(
        title=title.strip(),
        rules=rules.strip(),
        question=question.strip(),
        closes_at=closes_at,
        created_by_label=actor.label,
    )
    contest.full_clean()
    if closes_at <= timezone.now():
        raise ValidationError({"closes_at": "The closing time must be in the future."})
    with transaction.atomic():
        contest.save()
    return contest


def contest_enter(
    *, contest: Contest, customer: Customer, answer: str, rules_accepted: bool, actor: Actor
) -> ContestEntry:
    """Enter a customer in a contest, recording when they accepted which text of the rules.

    Refuses with a ValidationError, storing nothing: rules not accepted (the box is never
    pre-ticked), a closed contest, a second entry by the same customer, or an answer that is
    empty, too long or not plain. `actor` is the customer; not access-logged (their own data).
    """
    if not contest.is_open:
        raise ValidationError(
            f"This contest closed on {timezone.localtime(contest.closes_at):%d %B %Y at %H:%M}; "
            "it takes no more entries.",
            code="closed",
        )
    if not rules_accepted:
        raise ValidationError(
            {"accept_rules": "Tick the box to accept the contest rules, or do not enter."}
        )
    if ContestEntry.objects.filter(contest=contest, customer=customer).exists():
        raise ValidationError("You have already entered this contest.", code="duplicate")
    now = timezone.now()
    entry = ContestEntry(
        contest=contest,
        customer=customer,
        subject_id=customer.subject_id,
        answer=answer.strip(),
        rules_accepted_at=now,
        rules_sha256=contest.rules_hash,
        entered_at=now,
    )
    entry.full_clean(exclude=["contest", "customer"])
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        raise ValidationError("You have already entered this contest.", code="duplicate") from None
    return entry
