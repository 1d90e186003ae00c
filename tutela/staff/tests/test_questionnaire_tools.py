"""Marketing writes questionnaires and sees aggregate results only; reads are logged (R7, R8,
R38, R40)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from tutela.accounts.models import User
from tutela.audit.api import AccessEvent, Actor
from tutela.customers.models import Customer
from tutela.feedback.models import Question, Questionnaire, QuestionnaireResponse
from tutela.feedback.services import questionnaire_answer, questionnaire_create

QUESTIONS = "How did you find us? | Search | A friend | Other\nWhat should we improve?\n"


@pytest.mark.django_db
def test_marketing_writes_a_questionnaire_that_customers_then_see(
    client: Client, make_staff: Callable[..., User], make_customer: Callable[..., Customer]
) -> None:
    client.force_login(make_staff(role="marketing", name="Priya"))
    response = client.post(
        "/staff/questionnaires/new/",
        {"title": "Portal survey", "intro": "", "questions": QUESTIONS},
    )
    assert response.status_code == 302
    questionnaire = Questionnaire.objects.get()
    assert questionnaire.created_by_label == "Priya (marketing)"
    kinds = [(q.prompt, q.kind, q.options) for q in questionnaire.questions.all()]
    assert kinds == [
        ("How did you find us?", Question.Kind.CHOICE, ["Search", "A friend", "Other"]),
        ("What should we improve?", Question.Kind.TEXT, []),
    ]
    client.force_login(make_customer().user)
    assert "Portal survey" in client.get("/feedback/questionnaires/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"title": "", "questions": QUESTIONS}, "title", "This field is required."),
        ({"title": "Survey", "questions": "  \n "}, "questions", "This field is required."),
        ({"title": "Survey", "questions": "Pick one | Only"}, "questions", "give 2 to 10 options"),
        ({"title": "Bad\x00title", "questions": QUESTIONS}, "title", "Null characters"),
        ({"title": "<b>Survey</b>", "questions": QUESTIONS}, "title", "< and > are not allowed"),
        ({"title": "Survey", "questions": "Why <b>?"}, "questions", "< and > are not allowed"),
        ({"title": "Survey", "questions": "Q?\n" * 21}, "questions", "At most 20 questions"),
    ],
)
def test_a_bad_questionnaire_is_refused_with_a_message_and_nothing_stored(
    client: Client,
    make_staff: Callable[..., User],
    data: dict[str, str],
    field: str,
    message: str,
) -> None:
    """R40."""
    client.force_login(make_staff(role="marketing"))
    response = client.post("/staff/questionnaires/new/", {"intro": "", **data})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in " ".join(errors[field])
    assert not Questionnaire.objects.exists() and not Question.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["support", "privacy_officer", "finance"])
def test_other_roles_cannot_write_or_read_questionnaires(
    client: Client, make_staff: Callable[..., User], role: str
) -> None:
    """R8: only marketing."""
    questionnaire = questionnaire_create(
        title="Survey", intro="", questions=[("Q?", [])], actor=Actor.system("test")
    )
    client.force_login(make_staff(role=role))
    assert client.get("/staff/questionnaires/").status_code == 403
    assert client.get(f"/staff/questionnaires/{questionnaire.pk}/").status_code == 403
    response = client.post("/staff/questionnaires/new/", {"title": "X", "questions": "Q?"})
    assert response.status_code == 403
    assert Questionnaire.objects.count() == 1


@pytest.mark.django_db
def test_marketing_sees_counts_not_names_or_free_text_and_the_read_is_logged(
    client: Client, make_staff: Callable[..., User], make_customer: Callable[..., Customer]
) -> None:
    """R7: counting decrypts each response, so each respondent's subject gets a read event
    with category questionnaire_answers and purpose research; the page shows totals only."""
    questionnaire = questionnaire_create(
        title="Survey",
        intro="",
        questions=[("Found us?", ["Search", "A friend"]), ("Improve?", [])],
        actor=Actor.system("test"),
    )
    choice, text = questionnaire.questions.order_by("position")
    ada = make_customer(full_name="Ada Lovelace")
    grace = make_customer(full_name="Grace Hopper")
    for customer, answers in (
        (ada, {choice.pk: "Search", text.pk: "Ada wants faster invoices"}),
        (grace, {choice.pk: "Search"}),
    ):
        questionnaire_answer(
            questionnaire=questionnaire,
            customer=customer,
            answers=answers,
            actor=Actor.customer(id=customer.user.pk),
        )
    client.force_login(make_staff(role="marketing", name="Priya"))
    response = client.get(f"/staff/questionnaires/{questionnaire.pk}/")
    page = response.content.decode()
    assert "2 responses" in page and "Search: 2" in page and "A friend: 0" in page
    assert "1 answered" in page
    assert "Ada" not in page and "Grace" not in page and "faster invoices" not in page
    events = AccessEvent.objects.filter(detail__contains="results (aggregate)")
    assert {event.subject for event in events} == {str(ada.subject_id), str(grace.subject_id)}
    for event in events:
        assert event.category_keys == ["questionnaire_answers"]
        assert event.purpose == "research" and event.actor_label == "Priya (marketing)"
    assert QuestionnaireResponse.objects.count() == 2
