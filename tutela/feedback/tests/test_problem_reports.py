"""Problem reports from customers and anonymous visitors ("if you report a problem with our
product or site"): create, list, isolation, validation (R6, R7, R38, R40)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client

from tutela.accounts.models import User
from tutela.audit.api import AccessEvent
from tutela.customers.models import Customer
from tutela.feedback.models import ProblemReport
from tutela.feedback.views import PROBLEM_REPORT_RATE
from tutela.visits.tests.ratelimits import fresh_rate_window

NEW = "/feedback/problems/new/"


def stored(column: str) -> list[bytes]:
    """The raw column as the database holds it (the table and column names are ours)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {ProblemReport._meta.db_table}")  # noqa: S608
        return [bytes(row[0]) for row in cursor.fetchall()]


def report_data(**overrides: str) -> dict[str, str]:
    data = {
        "about": "site",
        "summary": "The invoice page is blank",
        "details": "Since Monday the invoices page shows nothing in Firefox.",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_a_customer_reports_a_problem_and_sees_it_in_their_list(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    """The report is filed under the customer's subject, encrypted, and listed for them (R6)."""
    customer = make_customer()
    client.force_login(customer.user)
    response = client.post(NEW, report_data())
    report = ProblemReport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/feedback/problems/{report.pk}/"
    assert report.customer == customer and report.subject_id == customer.subject_id
    assert not report.is_anonymous
    listing = client.get("/feedback/problems/").content.decode()
    assert "The invoice page is blank" in listing
    detail = client.get(f"/feedback/problems/{report.pk}/").content.decode()
    assert "Since Monday" in detail
    assert all(b"Since Monday" not in value for value in stored("details"))


@pytest.mark.django_db
def test_the_customer_form_asks_for_no_reply_address(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    """R1's spirit: a customer's address is on the account; the form does not collect it again."""
    client.force_login(make_customer().user)
    assert "reply_email" not in client.get(NEW).context["form"].fields
    client.post(NEW, report_data(reply_email="someone@example.com"))
    assert ProblemReport.objects.get().reply_email == ""


@pytest.mark.django_db
def test_another_customer_cannot_see_the_report(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    """R38: the list shows only one's own reports; another's id is a 404."""
    author, other = make_customer(), make_customer()
    client.force_login(author.user)
    client.post(NEW, report_data())
    report = ProblemReport.objects.get()
    client.force_login(other.user)
    assert "The invoice page is blank" not in client.get("/feedback/problems/").content.decode()
    assert client.get(f"/feedback/problems/{report.pk}/").status_code == 404


@pytest.mark.django_db
def test_an_anonymous_visitor_reports_a_problem_with_an_optional_reply_address(
    client: Client,
) -> None:
    """An anonymous report gets a random subject of its own, so its text and the reply address
    are encrypted and can be shredded without linking them to any account (R6)."""
    response = client.post(NEW, report_data(about="product", reply_email="visitor@example.com"))
    assert response.status_code == 302 and response["Location"] == "/feedback/problems/sent/"
    client.post(NEW, report_data(summary="Second one"))
    first, second = ProblemReport.objects.order_by("created_at")
    assert first.is_anonymous and first.reply_email == "visitor@example.com"
    assert second.reply_email == ""
    assert first.subject_id != second.subject_id
    assert not Customer.objects.filter(subject_id=first.subject_id).exists()
    assert all(b"visitor@example.com" not in value for value in stored("reply_email"))


@pytest.mark.django_db
def test_anonymous_visitors_have_no_list_and_staff_cannot_send(client: Client) -> None:
    """R38: the list needs a customer sign-in; a staff identity is refused the customer form."""
    assert client.get("/feedback/problems/")["Location"].startswith("/accounts/login/")
    client.force_login(User.objects.create_user(email="sam@c-mes.example", is_staff=True))
    assert client.post(NEW, report_data()).status_code == 403
    assert not ProblemReport.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("summary", "", "This field is required."),
        ("summary", "x" * 151, "at most 150 characters"),
        ("details", "broken\x00page", "Null characters are not allowed."),
        ("details", "<script>alert(1)</script>", "the characters < and > are not allowed"),
        ("about", "kitchen", "Select a valid choice."),
        ("reply_email", "not-an-email", "Enter a valid email address"),
    ],
)
def test_bad_input_is_refused_with_a_message_on_the_field_and_nothing_stored(
    client: Client, field: str, value: str, message: str
) -> None:
    """R40: the error names the field (it is shown next to it) and says why."""
    response = client.post(NEW, report_data(**{field: value}))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert message in " ".join(errors[field])
    assert not ProblemReport.objects.exists()
    assert not AccessEvent.objects.exists()


@pytest.mark.django_db
def test_anonymous_reports_are_rate_limited_per_ip(client: Client) -> None:
    """R4/R40: the open form cannot be used to flood the store; the 11th post in ten minutes
    from one address is refused with 429 and stores nothing."""
    fresh_rate_window(group="feedback.problem_report", key="ip", rate=PROBLEM_REPORT_RATE)
    for n in range(10):
        assert client.post(NEW, report_data(summary=f"Report {n}")).status_code == 302
    assert client.post(NEW, report_data(summary="One too many")).status_code == 429
    assert ProblemReport.objects.count() == 10
