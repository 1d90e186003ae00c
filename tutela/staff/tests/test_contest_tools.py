"""Marketing runs contests and sees entry counts, never entrants (R8, R38, R40)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tutela.accounts.models import User
from tutela.audit.api import AccessEvent, Actor
from tutela.customers.models import Customer
from tutela.feedback.models import Contest
from tutela.feedback.services import contest_create, contest_enter


def contest_data(**overrides: str) -> dict[str, str]:
    data = {
        "title": "Win a printer",
        "rules": "One entry each.",
        "question": "Why?",
        "closes_at": (timezone.localtime() + timedelta(days=7)).strftime("%Y-%m-%d %H:%M"),
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_marketing_runs_a_contest_and_sees_counts_not_entrants(
    client: Client, make_staff: Callable[..., User], make_customer: Callable[..., Customer]
) -> None:
    client.force_login(make_staff(role="marketing", name="Priya"))
    assert client.post("/staff/contests/new/", contest_data()).status_code == 302
    contest = Contest.objects.get()
    assert contest.created_by_label == "Priya (marketing)" and contest.is_open
    customer = make_customer(full_name="Ada Lovelace")
    contest_enter(
        contest=contest,
        customer=customer,
        answer="Because Ada says so",
        rules_accepted=True,
        actor=Actor.customer(id=customer.user.pk),
    )
    page = client.get("/staff/contests/").content.decode()
    assert "Win a printer" in page and "<td>1</td>" in page
    assert "Ada" not in page
    assert not AccessEvent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "This field is required."),
        ("rules", "no\x00nul", "Null characters are not allowed."),
        ("question", "<b>?</b>", "< and > are not allowed"),
        ("closes_at", "tomorrow", "Enter a valid date/time."),
        ("closes_at", "2020-01-01 12:00", "must be in the future"),
    ],
)
def test_a_bad_contest_is_refused_with_a_message_and_nothing_stored(
    client: Client, make_staff: Callable[..., User], field: str, value: str, message: str
) -> None:
    """R40."""
    client.force_login(make_staff(role="marketing"))
    response = client.post("/staff/contests/new/", contest_data(**{field: value}))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Contest.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["support", "privacy_officer", "finance"])
def test_other_roles_cannot_run_or_list_contests(
    client: Client, make_staff: Callable[..., User], role: str
) -> None:
    """R8."""
    contest_create(
        title="T",
        rules="R",
        question="Q",
        closes_at=timezone.now() + timedelta(days=1),
        actor=Actor.system("test"),
    )
    client.force_login(make_staff(role=role))
    assert client.get("/staff/contests/").status_code == 403
    assert client.post("/staff/contests/new/", contest_data()).status_code == 403
    assert Contest.objects.count() == 1
