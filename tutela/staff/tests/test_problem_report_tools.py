"""Support reads problem reports; every read is in the access log (R7, R8, R38)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from tutela.accounts.models import User
from tutela.audit.api import AccessEvent, Actor
from tutela.customers.models import Customer
from tutela.feedback.models import ProblemReport
from tutela.feedback.services import problem_report_create


def make_report(customer: Customer | None, **overrides: str) -> ProblemReport:
    values = {
        "about": "product",
        "summary": "Label printer jams",
        "details": "Every third label jams since the update.",
        "reply_email": "",
    }
    values.update(overrides)
    return problem_report_create(customer=customer, actor=Actor.system("test"), **values)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["privacy_officer", "marketing", "finance"])
def test_other_roles_cannot_see_problem_reports(
    client: Client,
    make_customer: Callable[..., Customer],
    make_staff: Callable[..., User],
    role: str,
) -> None:
    """R8: least privilege; only support reads problem reports."""
    report = make_report(make_customer())
    client.force_login(make_staff(role=role))
    assert client.get("/staff/problems/").status_code == 403
    assert client.get(f"/staff/problems/{report.pk}/").status_code == 403
    assert not AccessEvent.objects.exists()


@pytest.mark.django_db
def test_support_lists_reports_and_each_read_is_logged(
    client: Client, make_customer: Callable[..., Customer], make_staff: Callable[..., User]
) -> None:
    """R7: the list page records one read per subject shown, with category and purpose."""
    customer = make_customer()
    mine = make_report(customer)
    anonymous = make_report(None, summary="Site search is slow", reply_email="v@example.com")
    client.force_login(make_staff(role="support", name="Sam"))
    page = client.get("/staff/problems/").content.decode()
    assert "Label printer jams" in page and "Site search is slow" in page
    events = AccessEvent.objects.filter(detail="problem report list")
    assert {str(event.subject) for event in events} == {
        str(mine.subject_id),
        str(anonymous.subject_id),
    }
    for event in events:
        assert event.category_keys == ["problem_reports"]
        assert event.purpose == "respond_to_requests" and event.action == "read"
        assert event.actor_label == "Sam (support)"


@pytest.mark.django_db
def test_support_reads_one_report_with_its_reply_address_and_the_read_is_logged(
    client: Client, make_staff: Callable[..., User]
) -> None:
    """R7: the full report (text and reply address) is a logged read of both categories."""
    report = make_report(None, reply_email="visitor@example.com")
    client.force_login(make_staff(role="support"))
    page = client.get(f"/staff/problems/{report.pk}/").content.decode()
    assert "Every third label jams" in page and "visitor@example.com" in page
    event = AccessEvent.objects.get(detail="problem report")
    assert str(event.subject) == str(report.subject_id)
    assert event.category_keys == ["contact_email", "problem_reports"]
    assert event.purpose == "respond_to_requests"


@pytest.mark.django_db
def test_an_unknown_report_is_a_404_for_support(
    client: Client, make_staff: Callable[..., User]
) -> None:
    client.force_login(make_staff(role="support"))
    assert client.get("/staff/problems/00000000-0000-4000-8000-000000000000/").status_code == 404
