"""Contests and promotions: entries with consent to the rules, one per customer, refused once
closed (R6, R20, R38, R40)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from tutela.audit.api import AccessEvent, Actor
from tutela.customers.models import Customer
from tutela.feedback.models import Contest, ContestEntry
from tutela.feedback.services import contest_create, contest_enter

RULES = "One entry per person. The winner is drawn on 1 April. UK residents over 18 only."


def make_contest(**overrides: object) -> Contest:
    values: dict[str, object] = {
        "title": "Win a label printer",
        "rules": RULES,
        "question": "What would you print first?",
        "closes_at": timezone.now() + timedelta(days=30),
        "actor": Actor.staff(id=None, first_name="Priya", role="marketing"),
    }
    values.update(overrides)
    return contest_create(**values)  # type: ignore[arg-type]


def entry_path(contest: Contest) -> str:
    return f"/feedback/contests/{contest.pk}/"


@pytest.mark.django_db
def test_a_customer_enters_with_consent_and_sees_their_entry(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    """The entry keeps when the rules were accepted and a hash of their text (R20)."""
    contest = make_contest()
    customer = make_customer()
    client.force_login(customer.user)
    assert "Win a label printer" in client.get("/feedback/contests/").content.decode()
    response = client.post(entry_path(contest), {"answer": "Shelf labels", "accept_rules": "on"})
    assert response.status_code == 302
    entry = ContestEntry.objects.get()
    assert entry.customer == customer and entry.subject_id == customer.subject_id
    assert entry.answer == "Shelf labels" and entry.rules_accepted_at is not None
    assert entry.rules_sha256 == hashlib.sha256(RULES.encode()).hexdigest()
    page = client.get(entry_path(contest)).content.decode()
    assert "Your entry" in page and "Shelf labels" in page
    assert "entered" in client.get("/feedback/contests/").content.decode()


@pytest.mark.django_db
def test_the_consent_box_is_never_pre_ticked_and_an_unticked_box_is_refused(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    contest = make_contest()
    client.force_login(make_customer().user)
    page = client.get(entry_path(contest))
    assert page.context["form"]["accept_rules"].value() is False
    assert "checked" not in str(page.context["form"]["accept_rules"])
    response = client.post(entry_path(contest), {"answer": "Shelf labels"})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "accept_rules": ["Tick the box to accept the contest rules, or do not enter."]
    }
    assert not ContestEntry.objects.exists()


@pytest.mark.django_db
def test_one_entry_per_customer_per_contest(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    contest = make_contest()
    customer = make_customer()
    contest_enter(
        contest=contest,
        customer=customer,
        answer="First",
        rules_accepted=True,
        actor=Actor.customer(id=customer.user.pk),
    )
    with pytest.raises(ValidationError, match="already entered"):
        contest_enter(
            contest=contest,
            customer=customer,
            answer="Second",
            rules_accepted=True,
            actor=Actor.customer(id=customer.user.pk),
        )
    assert ContestEntry.objects.count() == 1


@pytest.mark.django_db
def test_a_closed_contest_refuses_entries_with_a_clear_message(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    contest = make_contest()
    Contest.objects.filter(pk=contest.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    client.force_login(make_customer().user)
    response = client.post(entry_path(contest), {"answer": "Late", "accept_rules": "on"})
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert "This contest closed on" in errors[0] and "takes no more entries" in errors[0]
    assert "takes no more entries" in response.content.decode()
    assert not ContestEntry.objects.exists()


@pytest.mark.django_db
def test_another_customer_cannot_see_the_entry(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    """R38: the page shows the caller's own entry only."""
    contest = make_contest()
    author, other = make_customer(), make_customer()
    client.force_login(author.user)
    client.post(entry_path(contest), {"answer": "Secret plan", "accept_rules": "on"})
    client.force_login(other.user)
    page = client.get(entry_path(contest))
    assert page.context["entry"] is None and "Secret plan" not in page.content.decode()
    assert "entered" not in client.get("/feedback/contests/").content.decode()


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(client: Client) -> None:
    contest = make_contest()
    for path in ("/feedback/contests/", entry_path(contest)):
        assert client.get(path)["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("", "This field is required."),
        ("nul\x00", "Null characters are not allowed."),
        ("<i>x</i>", "the characters < and > are not allowed"),
        ("x" * 1001, "at most 1000 characters"),
    ],
)
def test_a_bad_answer_is_refused_on_its_field_and_nothing_stored(
    client: Client, make_customer: Callable[..., Customer], answer: str, message: str
) -> None:
    """R40."""
    contest = make_contest()
    client.force_login(make_customer().user)
    response = client.post(entry_path(contest), {"answer": answer, "accept_rules": "on"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["answer"] and message in " ".join(errors["answer"])
    assert not ContestEntry.objects.exists()
    assert not AccessEvent.objects.exists()


@pytest.mark.django_db
def test_a_contest_closing_in_the_past_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        make_contest(closes_at=timezone.now() - timedelta(days=1))
    assert caught.value.message_dict == {"closes_at": ["The closing time must be in the future."]}
    assert not Contest.objects.exists()
