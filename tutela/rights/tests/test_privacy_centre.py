"""The Privacy Centre: the rights from the policy, asking from the account after re-authentication,
and asking without an account through an emailed link (R5, R9-R13, R19, R38, R40)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from tutela.accounts.api import User
from tutela.conftest import DEMO_PASSWORD
from tutela.customers.api import Customer
from tutela.rights.models import DataSubjectRequest, DsrEvent, ExportFile
from tutela.rights.tests.conftest import sign_in

Status = DataSubjectRequest.Status


@pytest.mark.django_db
def test_anyone_sees_every_right_of_the_policy_and_how_to_ask(client: Client) -> None:
    page = client.get("/privacy/").content.decode()
    for label in [
        "Right of access",
        "Right to correct",
        "Right to delete",
        "Right to limit processing",
        "Right to object",
        "Right to data portability",
        "Right to complain to the ICO",
    ]:
        assert label in page
    assert "answered within 28 days" in page
    assert "/privacy/ask-without-account/" in page and "/privacy/ask/access/" not in page


@pytest.mark.django_db
def test_a_customer_sees_ask_buttons_and_their_own_requests_with_the_due_date(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer()
    sign_in(client, customer)
    response = client.post("/privacy/ask/erasure/", {"details": "Please close my account."})
    dsr = DataSubjectRequest.objects.get()
    assert response["Location"] == f"/privacy/requests/{dsr.pk}/"
    assert dsr.customer == customer and dsr.status == Status.IN_PROGRESS
    assert dsr.identity_method == "reauthentication" and dsr.channel == "account"
    page = client.get("/privacy/").content.decode()
    assert "/privacy/ask/access/" in page and dsr.reference in page
    assert f"{dsr.clock.due_at(now=dsr.received_at):%-d %b %Y}" in page
    detail = client.get(f"/privacy/requests/{dsr.pk}/").content.decode()
    assert "In progress" in detail and "Identity verified" in detail


@pytest.mark.django_db
def test_asking_needs_a_recent_re_authentication(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    """R5: a session alone is not enough for access or erasure; nothing is stored until then,
    and after re-authenticating the request goes through."""
    customer = make_customer()
    sign_in(client, customer, reauthenticate=False)  # signing in alone is not re-authenticating
    for kind in ["access", "erasure"]:
        response = client.post(f"/privacy/ask/{kind}/", {"details": ""})
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/reauthenticate/")
    assert not DataSubjectRequest.objects.exists()
    client.post("/accounts/reauthenticate/", {"password": DEMO_PASSWORD})
    assert client.post("/privacy/ask/erasure/", {"details": ""}).status_code == 302
    assert DataSubjectRequest.objects.get().identity_method == "reauthentication"


@pytest.mark.django_db
def test_an_access_request_from_the_account_is_answered_at_once_with_a_download(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    """R9: with the export library installed, a verified access request is answered at once."""
    customer = make_customer()
    sign_in(client, customer)
    response = client.post("/privacy/ask/access/", {"details": ""}, follow=True)
    dsr = DataSubjectRequest.objects.get()
    export = ExportFile.objects.get(request=dsr)
    assert dsr.status == Status.DONE
    page = response.content.decode()
    assert "ready to download" in page
    assert f"/privacy/exports/{export.pk}/json/" in page
    assert f"/privacy/exports/{export.pk}/html/" in page
    kinds = list(DsrEvent.objects.filter(request=dsr).values_list("kind", flat=True))
    assert kinds == ["opened", "verified", "export_ready", "completed"]


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["rectification", "restriction", "objection"])
def test_a_request_that_needs_details_names_the_field_and_stores_nothing(
    client: Client, make_customer: Callable[..., Customer], kind: str
) -> None:
    """R40."""
    sign_in(client, make_customer())
    response = client.post(f"/privacy/ask/{kind}/", {"details": "  "})
    assert response.status_code == 200
    assert "Please tell us" in response.content.decode() or "required" in response.content.decode()
    assert not DataSubjectRequest.objects.exists()
    too_long = client.post(f"/privacy/ask/{kind}/", {"details": "x" * 4001})
    assert "at most 4000 characters" in too_long.content.decode()
    assert not DataSubjectRequest.objects.exists()


@pytest.mark.django_db
def test_an_unknown_right_is_a_404(client: Client, make_customer: Callable[..., Customer]) -> None:
    sign_in(client, make_customer())
    assert client.get("/privacy/ask/everything/").status_code == 404


@pytest.mark.django_db
def test_another_customer_cannot_see_the_request(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    """R38: someone else's request id is a 404, and it is not in their list."""
    owner, other = make_customer(), make_customer()
    sign_in(client, owner)
    client.post("/privacy/ask/erasure/", {"details": ""})
    dsr = DataSubjectRequest.objects.get()
    client.logout()
    sign_in(client, other)
    assert client.get(f"/privacy/requests/{dsr.pk}/").status_code == 404
    assert dsr.reference not in client.get("/privacy/").content.decode()


@pytest.mark.django_db
def test_staff_do_not_ask_from_the_privacy_centre(
    client: Client, make_staff: Callable[..., User]
) -> None:
    client.force_login(make_staff())
    assert client.get("/privacy/ask/access/").status_code == 403
    assert "Staff accounts do not make requests here" in client.get("/privacy/").content.decode()


# --- without an account ----------------------------------------------------------------------


def _ask(client: Client, **overrides: str) -> Any:
    data = {
        "kind": "access",
        "requester_name": "Grace Hopper",
        "requester_email": "grace@example.org",
        "details": "Order 1234.",
    }
    data.update(overrides)
    return client.post("/privacy/ask-without-account/", data)


def _verify_path() -> str:
    found = re.search(r"https?://[^/\s]+(/privacy/verify/\S+/)", str(mail.outbox[-1].body))
    assert found, mail.outbox[-1].body
    return found.group(1)


@pytest.mark.django_db
def test_without_an_account_the_request_starts_only_after_the_emailed_link(
    client: Client, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    """R12, R19: the clock waits for the link; GET changes nothing (mail scanners), POST does."""
    with django_capture_on_commit_callbacks(execute=True):
        response = _ask(client)
    assert response["Location"] == "/privacy/ask-without-account/sent/"
    dsr = DataSubjectRequest.objects.get()
    assert dsr.status == Status.AWAITING_VERIFICATION and dsr.customer is None
    assert mail.outbox[-1].to == ["grace@example.org"]
    path = _verify_path()
    page = client.get(path)
    assert page.status_code == 200 and dsr.reference in page.content.decode()
    dsr.refresh_from_db()
    assert not dsr.is_verified
    confirmed = client.post(path)
    assert "your request is confirmed" in confirmed.content.decode()
    dsr.refresh_from_db()
    assert dsr.status == Status.IN_PROGRESS and dsr.identity_method == "email_link"
    assert "already confirmed" in client.post(path).content.decode()


@pytest.mark.django_db
def test_a_wrong_or_altered_verification_link_verifies_nothing(
    client: Client, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _ask(client)
    path = _verify_path()
    token = path.split("/")[3]
    altered = path.replace(token, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    for bad in [altered, "/privacy/verify/nonsense/", "/privacy/verify/eyJyIjoiMTIzIn0:x:y/"]:
        assert client.post(bad).status_code == 400
    assert not DataSubjectRequest.objects.get().is_verified


@pytest.mark.django_db
def test_the_form_answers_the_same_whether_or_not_the_address_has_an_account(
    client: Client,
    make_customer: Callable[..., Customer],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """R4: no account enumeration; an account holder's request is filed under their account."""
    customer = make_customer(email="ada@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        stranger = _ask(client)
        holder = _ask(client, requester_email="ada@example.com", requester_name="Ada")
    assert stranger.status_code == holder.status_code == 302
    assert stranger["Location"] == holder["Location"]
    assert [m.to for m in mail.outbox] == [["grace@example.org"], ["ada@example.com"]]
    assert DataSubjectRequest.objects.get(requester_email="ada@example.com").customer == customer


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("requester_email", "", "This field is required"),
        ("requester_email", "not-an-address", "Enter a valid email address"),
        ("requester_name", "", "This field is required"),
        ("kind", "everything", "Select a valid choice"),
        ("requester_name", "Grace\x00", "Null characters are not allowed"),
    ],
)
def test_bad_input_without_an_account_names_the_field_and_stores_nothing(
    client: Client, field: str, value: str, message: str
) -> None:
    """R40."""
    response = _ask(client, **{field: value})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not DataSubjectRequest.objects.exists() and not mail.outbox


@pytest.mark.django_db
def test_the_form_without_an_account_is_rate_limited_per_ip(client: Client) -> None:
    for _ in range(5):
        assert _ask(client).status_code == 302
    assert _ask(client).status_code == 429
    assert DataSubjectRequest.objects.count() == 5
