"""The privacy officer's request queue: only that role, ordered by time left, deadlines in colour
and words, every read logged, every action recorded (R7, R8, R11-R13, R19, R38, R40)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tutela.accounts.api import User
from tutela.audit.api import AccessEvent, Actor
from tutela.customers.api import Customer
from tutela.rights.models import DataSubjectRequest, DsrEvent, ExportFile
from tutela.rights.services import dsr_open

Status = DataSubjectRequest.Status
DAY = timedelta(days=1)
OFFICER = Actor.staff(id=1, first_name="Dana", role="privacy officer")


def entered(name: str = "Grace Hopper", *, days_ago: float = 0, **extra: Any) -> DataSubjectRequest:
    """A request received by email `days_ago` days ago, identity checked on receipt."""
    values: dict[str, Any] = {
        "kind": "access",
        "channel": "email",
        "requester_name": name,
        "requester_email": f"{name.split()[0].lower()}@example.org",
        "verified_by": "staff_check",
        "identity_note": "Replied from the address on file",
        "received_at": timezone.now() - days_ago * DAY,
        "actor": OFFICER,
    }
    values.update(extra)
    return dsr_open(**values)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["support", "marketing", "finance"])
def test_other_roles_get_403_and_read_nothing(
    client: Client, make_staff: Callable[..., User], role: str
) -> None:
    """R8, R38: the queue is the privacy officer's alone."""
    dsr = entered()
    before = AccessEvent.objects.count()
    client.force_login(make_staff(role=role))
    for path in [
        "/staff/rights/",
        "/staff/rights/closed/",
        "/staff/rights/new/",
        f"/staff/rights/{dsr.pk}/",
    ]:
        assert client.get(path).status_code == 403, path
    assert (
        client.post(f"/staff/rights/{dsr.pk}/complete/", {"complete-outcome": "x"}).status_code
        == 403
    )
    assert AccessEvent.objects.count() == before
    assert DataSubjectRequest.objects.get().status == Status.IN_PROGRESS


@pytest.mark.django_db
def test_customers_get_403_and_anonymous_visitors_the_staff_sign_in(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    dsr = entered()
    response = client.get(f"/staff/rights/{dsr.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/staff/login/")
    client.force_login(make_customer().user)
    assert client.get("/staff/rights/").status_code == 403
    assert client.get(f"/staff/rights/{dsr.pk}/").status_code == 403


@pytest.mark.django_db
def test_the_queue_is_ordered_by_time_left_with_overdue_and_due_soon_marked_in_words(
    client: Client, make_staff: Callable[..., User]
) -> None:
    """R11: least time left first; a CSS class for colour and a label saying the same."""
    on_time = entered("Ada Lovelace", days_ago=0.5)
    overdue = entered("Grace Hopper", days_ago=30)
    due_soon = entered("Mary Somerville", days_ago=23.5)
    waiting = entered("Emmy Noether", verified_by=None, identity_note="")
    closed = entered("Hedy Lamarr")
    DataSubjectRequest.objects.filter(pk=closed.pk).update(
        status=Status.DONE, closed_at=timezone.now()
    )
    client.force_login(make_staff(name="Dana"))
    page = client.get("/staff/rights/").content.decode()
    order = [page.index(dsr.reference) for dsr in (overdue, due_soon, on_time, waiting)]
    assert order == sorted(order)
    assert closed.reference not in page
    assert re.search(
        r'class="deadline deadline-overdue"><span class="deadline-label">Overdue by 2 days', page
    )
    assert re.search(
        r'class="deadline deadline-due_soon"><span class="deadline-label">Due soon: 4 days left',
        page,
    )
    assert "On time: 27 days left" in page
    assert "Paused (waiting for the person): 28 days left when resumed" in page
    events = AccessEvent.objects.filter(detail="rights request queue")
    assert {str(e.subject) for e in events} == {
        str(d.subject_id) for d in (on_time, overdue, due_soon, waiting)
    }
    assert all(e.category_keys == ["name"] and e.purpose == "rights_requests" for e in events)


@pytest.mark.django_db
def test_the_detail_page_shows_the_request_and_its_history_and_the_read_is_logged(
    client: Client, make_staff: Callable[..., User]
) -> None:
    dsr = entered(details="Everything since 2019.")
    client.force_login(make_staff(name="Dana"))
    page = client.get(f"/staff/rights/{dsr.pk}/").content.decode()
    for text in [
        "Grace Hopper",
        "grace@example.org",
        "Everything since 2019.",
        "Received",
        "Identity verified",
        "Replied from the address on file",
    ]:
        assert text in page, text
    event = AccessEvent.objects.get(detail="rights request")
    assert str(event.subject) == str(dsr.subject_id) and event.action == "read"
    assert set(event.category_keys) == {"name", "contact_email", "correspondence"}
    assert event.actor_label == "Dana (privacy officer)"
    assert client.get("/staff/rights/00000000-0000-4000-8000-000000000000/").status_code == 404


@pytest.mark.django_db
def test_staff_enter_a_request_received_by_phone(
    client: Client, make_staff: Callable[..., User]
) -> None:
    """R19: offline requests enter the same queue, with the time they reached us."""
    client.force_login(make_staff())
    received = timezone.localtime() - 2 * DAY
    response = client.post(
        "/staff/rights/new/",
        {
            "kind": "objection",
            "channel": "phone",
            "received_at": received.strftime("%Y-%m-%dT%H:%M"),
            "requester_name": "Grace Hopper",
            "requester_email": "",
            "details": "Stop the analytics.",
        },
    )
    dsr = DataSubjectRequest.objects.get()
    assert response["Location"] == f"/staff/rights/{dsr.pk}/"
    assert dsr.channel == "phone" and dsr.status == Status.AWAITING_VERIFICATION
    assert timezone.localtime(dsr.received_at).strftime("%Y-%m-%dT%H:%M") == received.strftime(
        "%Y-%m-%dT%H:%M"
    )
    assert dsr.entered_by_label == "Dana (privacy officer)"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field_error"),
    [
        ({"requester_name": ""}, "This field is required"),
        ({"channel": "email", "requester_email": ""}, "Enter the email address to answer to"),
        ({"received_at": "tomorrow"}, "Enter a valid date/time"),
        ({"identity_checked": "on", "identity_note": ""}, "Say what you checked"),
        ({"details": "<b>bold</b>"}, "details"),
    ],
)
def test_bad_input_when_entering_names_the_field_and_stores_nothing(
    client: Client, make_staff: Callable[..., User], change: dict[str, str], field_error: str
) -> None:
    """R40."""
    client.force_login(make_staff())
    data = {
        "kind": "access",
        "channel": "post",
        "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "requester_name": "Grace Hopper",
        "requester_email": "",
        "details": "",
    }
    data.update(change)
    response = client.post("/staff/rights/new/", data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Please correct the" in page
    if field_error != "details":
        assert field_error in page
    assert not DataSubjectRequest.objects.exists() and not DsrEvent.objects.exists()


@pytest.mark.django_db
def test_the_officer_verifies_pauses_resumes_extends_and_completes(
    client: Client,
    make_staff: Callable[..., User],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    dsr = entered(verified_by=None, identity_note="", kind="rectification")
    client.force_login(make_staff())
    base = f"/staff/rights/{dsr.pk}"
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            client.post(f"{base}/verify/", {"verify-note": "Security questions"}).status_code == 302
        )
        assert client.post(f"{base}/pause/", {"pause-question": "Which name?"}).status_code == 302
        assert (
            client.post(f"{base}/resume/", {"resume-note": "The billing name"}).status_code == 302
        )
        response = client.post(
            f"{base}/extend/", {"extend-months": "1", "extend-reason": "Several systems"}
        )
        assert response.status_code == 302
        assert (
            client.post(f"{base}/complete/", {"complete-outcome": "Name corrected."}).status_code
            == 302
        )
    dsr.refresh_from_db()
    assert dsr.status == Status.DONE and dsr.extension_months == 1
    kinds = list(DsrEvent.objects.filter(request=dsr).values_list("kind", flat=True))
    assert kinds == ["opened", "verified", "paused", "resumed", "extended", "completed"]
    assert [m.subject for m in mail.outbox] == [
        f"[C-MES] We need more information about your request {dsr.reference}",
        f"[C-MES] We need more time for your request {dsr.reference}",
        f"[C-MES] Your request {dsr.reference} is complete",
    ]
    page = client.get(f"{base}/").content.decode()
    assert "Answered on time" in page and "Which name?" in page


@pytest.mark.django_db
def test_a_refused_action_shows_why_on_the_field_and_changes_nothing(
    client: Client, make_staff: Callable[..., User]
) -> None:
    dsr = entered()
    client.force_login(make_staff())
    base = f"/staff/rights/{dsr.pk}"
    empty = client.post(f"{base}/pause/", {"pause-question": ""})
    assert empty.status_code == 200 and "This field is required" in empty.content.decode()
    no_fee = client.post(
        f"{base}/decide/",
        {"decide-manifestly": "excessive", "decide-decision": "fee", "decide-reason": "Repeated"},
    )
    page = no_fee.content.decode()
    assert no_fee.status_code == 200 and "Give a fee between" in page
    late = entered("Ada Lovelace", days_ago=40)
    response = client.post(
        f"/staff/rights/{late.pk}/extend/", {"extend-months": "2", "extend-reason": "Too late"}
    )
    assert "within the first period" in response.content.decode()
    assert DataSubjectRequest.objects.get(pk=dsr.pk).status == Status.IN_PROGRESS
    assert DataSubjectRequest.objects.get(pk=late.pk).extension_months == 0
    # An action the status no longer allows is explained at the top of the page.
    response = client.post(f"{base}/resume/", {"resume-note": "x"}, follow=True)
    assert "Cannot resume the clock" in response.content.decode()
    assert client.post(f"{base}/nonsense/", {}).status_code == 404


@pytest.mark.django_db
def test_the_officer_prepares_the_copy_for_an_access_request(
    client: Client,
    make_staff: Callable[..., User],
    make_customer: Callable[..., Customer],
) -> None:
    """With the export library installed, one button builds the export and closes the request."""
    customer = make_customer(email="ada@example.com")
    dsr = entered("Ada Lovelace", requester_email="ada@example.com")
    assert dsr.customer == customer
    client.force_login(make_staff())
    response = client.post(f"/staff/rights/{dsr.pk}/fulfil/", {}, follow=True)
    content = response.content.decode()
    if "not installed" in content:
        pytest.skip("the export library is not installed in this build")
    assert "The copy of the data is ready" in content
    assert ExportFile.objects.get().request_id == dsr.pk
    assert DataSubjectRequest.objects.get().status == Status.DONE


@pytest.mark.django_db
def test_the_console_links_the_queue_for_the_privacy_officer_only(
    client: Client, make_staff: Callable[..., User]
) -> None:
    client.force_login(make_staff())
    assert 'href="/staff/rights/"' in client.get("/staff/").content.decode()
    client.force_login(make_staff(role="support"))
    assert 'href="/staff/rights/"' not in client.get("/staff/").content.decode()


@pytest.mark.django_db
def test_the_queue_costs_the_same_queries_for_few_or_many_requests(
    client: Client, make_staff: Callable[..., User]
) -> None:
    """No N+1: the page costs the same queries however many requests it lists."""
    client.force_login(make_staff())

    def queries() -> int:
        client.get("/staff/rights/")  # warm the session and caches
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/staff/rights/").status_code == 200
        return len(captured)

    for number in range(2):
        entered(f"Person{number} Few")
    few = queries()
    for number in range(8):
        entered(f"Person{number} Many", days_ago=number)
    assert queries() == few
