"""Research questionnaires: "although you may not answer them" - every answer optional
(R6, R38, R40)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from tutela.audit.api import AccessEvent, Actor
from tutela.crypto.api import subject_key_status
from tutela.customers.models import Customer
from tutela.feedback.models import Question, Questionnaire, QuestionnaireResponse
from tutela.feedback.services import questionnaire_answer, questionnaire_create

MARKETING = Actor.staff(id=None, first_name="Priya", role="marketing")


def make_questionnaire() -> Questionnaire:
    return questionnaire_create(
        title="How do you use our portal?",
        intro="Helps us plan the next version.",
        questions=[
            ("How did you find us?", ["Search", "A friend", "Other"]),
            ("What should we improve?", []),
        ],
        actor=MARKETING,
    )


def fields(questionnaire: Questionnaire) -> tuple[str, str]:
    choice, text = questionnaire.questions.order_by("position")
    return f"q{choice.pk}", f"q{text.pk}"


@pytest.mark.django_db
def test_a_customer_answers_some_questions_and_sees_their_answers(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    """Only the answers given are stored, encrypted, under the customer's subject (R6)."""
    questionnaire = make_questionnaire()
    choice, _ = fields(questionnaire)
    customer = make_customer()
    client.force_login(customer.user)
    listing = client.get("/feedback/questionnaires/").content.decode()
    assert "How do you use our portal?" in listing and "answered" not in listing
    response = client.post(f"/feedback/questionnaires/{questionnaire.pk}/", {choice: "A friend"})
    assert response.status_code == 302
    stored = QuestionnaireResponse.objects.get()
    assert stored.subject_id == customer.subject_id
    assert stored.answers == {choice[1:]: "A friend"}
    assert "answered" in client.get("/feedback/questionnaires/").content.decode()
    page = client.get(f"/feedback/questionnaires/{questionnaire.pk}/").content.decode()
    assert "Your answers" in page and "A friend" in page and "Not answered" in page


@pytest.mark.django_db
def test_an_empty_response_is_accepted_and_stores_nothing(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    """The policy: "you may not answer them". Sending nothing is fine and leaves no trace:
    no response row and no data key for the customer's support key class."""
    questionnaire = make_questionnaire()
    customer = make_customer()
    client.force_login(customer.user)
    response = client.post(f"/feedback/questionnaires/{questionnaire.pk}/", {}, follow=True)
    assert "nothing was sent or kept" in response.content.decode()
    assert not QuestionnaireResponse.objects.exists()
    assert "support" not in {
        status.key_class for status in subject_key_status(subject=customer.subject_id)
    }


@pytest.mark.django_db
def test_no_question_is_required_and_not_answering_is_the_default(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    questionnaire = make_questionnaire()
    client.force_login(make_customer().user)
    form = client.get(f"/feedback/questionnaires/{questionnaire.pk}/").context["form"]
    assert all(not field.required for field in form.fields.values())
    choice, _ = fields(questionnaire)
    assert form.fields[choice].initial == ""


@pytest.mark.django_db
def test_another_customer_cannot_see_the_answers(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    """R38: a customer sees only their own response; another gets a blank form."""
    questionnaire = make_questionnaire()
    _, text = fields(questionnaire)
    author, other = make_customer(), make_customer()
    client.force_login(author.user)
    client.post(f"/feedback/questionnaires/{questionnaire.pk}/", {text: "Faster invoices"})
    client.force_login(other.user)
    page = client.get(f"/feedback/questionnaires/{questionnaire.pk}/")
    assert page.context["response"] is None
    assert "Faster invoices" not in page.content.decode()
    assert "answered" not in client.get("/feedback/questionnaires/").content.decode()


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(client: Client) -> None:
    questionnaire = make_questionnaire()
    for path in ("/feedback/questionnaires/", f"/feedback/questionnaires/{questionnaire.pk}/"):
        assert client.get(path)["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_a_second_response_and_a_closed_questionnaire_are_refused(
    make_customer: Callable[..., Customer], client: Client
) -> None:
    questionnaire = make_questionnaire()
    customer = make_customer()
    actor = Actor.customer(id=customer.user.pk)
    ids = {q.kind: q.pk for q in questionnaire.questions.all()}
    questionnaire_answer(
        questionnaire=questionnaire,
        customer=customer,
        answers={ids[Question.Kind.CHOICE]: "Search"},
        actor=actor,
    )
    with pytest.raises(ValidationError, match="already answered"):
        questionnaire_answer(
            questionnaire=questionnaire,
            customer=customer,
            answers={ids[Question.Kind.TEXT]: "More"},
            actor=actor,
        )
    assert QuestionnaireResponse.objects.count() == 1
    Questionnaire.objects.filter(pk=questionnaire.pk).update(is_open=False)
    client.force_login(make_customer().user)
    assert client.get(f"/feedback/questionnaires/{questionnaire.pk}/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("which", "value", "message"),
    [
        ("choice", "Television", "Select a valid choice."),
        ("text", "nul\x00byte", "Null characters are not allowed."),
        ("text", "<b>bold</b>", "the characters < and > are not allowed"),
        ("text", "x" * 2001, "at most 2000 characters"),
    ],
)
def test_bad_answers_are_refused_on_their_question_and_nothing_stored(
    client: Client, make_customer: Callable[..., Customer], which: str, value: str, message: str
) -> None:
    """R40: the error is shown on the question it concerns, and nothing is kept."""
    questionnaire = make_questionnaire()
    choice, text = fields(questionnaire)
    field = choice if which == "choice" else text
    client.force_login(make_customer().user)
    response = client.post(f"/feedback/questionnaires/{questionnaire.pk}/", {field: value})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field] and message in " ".join(errors[field])
    assert not QuestionnaireResponse.objects.exists()
    assert not AccessEvent.objects.exists()


@pytest.mark.django_db
def test_the_service_refuses_answers_outside_the_questionnaire(
    make_customer: Callable[..., Customer],
) -> None:
    questionnaire = make_questionnaire()
    with pytest.raises(ValidationError) as caught:
        questionnaire_answer(
            questionnaire=questionnaire,
            customer=make_customer(),
            answers={999_999: "Hello"},
            actor=Actor.system("test"),
        )
    assert caught.value.message_dict == {
        "999999": ["This question is not part of the questionnaire."]
    }
    assert not QuestionnaireResponse.objects.exists()
