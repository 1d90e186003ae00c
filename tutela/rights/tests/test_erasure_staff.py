"""Erasure in the staff console and the Privacy Centre: the privacy officer's preview and "Carry
out the erasure", processors ticked off by hand, other roles refused; a customer's request
queued for review, or carried out at once when the deployment allows it (R8, R14, R18, R38)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.test import Client, override_settings

from tutela.accounts.api import User
from tutela.audit.api import AccessEvent
from tutela.commerce.api import product_create
from tutela.conftest import DEMO_PASSWORD
from tutela.customers.api import Customer
from tutela.policy.api import catalog_entries
from tutela.rights.models import DataSubjectRequest, ErasureRun, ProcessorNotice
from tutela.rights.services import dsr_fulfil_erasure
from tutela.rights.tests.conftest import sign_in
from tutela.rights.tests.erasure_data import DANA, erasure_request, everything, webhook_server
from tutela.rights.tests.test_erasure import row_counts as all_counts
from tutela.rights.tests.test_export_data import things

pytestmark = pytest.mark.django_db
SECRET = "a-webhook-secret-of-some-length"


@pytest.fixture
def ada(make_customer: Callable[..., Customer]) -> Customer:
    printer = product_create(
        name="Label printer", description="", kind="product", price_pence=24_900, actor=DANA
    )
    customer = make_customer(email="ada@example.com", full_name="Ada Lovelace")
    everything(customer, things(), printer, tag="ADA")
    return customer


@pytest.fixture
def officer(client: Client, make_staff: Callable[..., User]) -> Client:
    client.force_login(make_staff(role="privacy_officer", name="Dana"))
    return client


def row_counts(subject: Any) -> dict[str, int]:
    """Rows per catalog entry, beside the access log (reading the pages adds to it)."""
    counts = all_counts(subject)
    counts.pop("audit.AccessEvent")
    return counts


def page(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_officer_previews_then_carries_out_the_erasure(officer: Client, ada: Customer) -> None:
    dsr = erasure_request(ada)
    before = row_counts(ada.subject_id)
    assert f"/staff/rights/{dsr.pk}/erasure/" in page(officer, f"/staff/rights/{dsr.pk}/")
    preview = page(officer, f"/staff/rights/{dsr.pk}/erasure/")
    assert "Preview (nothing is changed yet)" in preview
    for entry in catalog_entries():
        assert entry.label in preview
    assert "Keep under a legal hold, minimised (provider_token" in preview
    assert "Delete" in preview and "Anonymise" in preview and "financial_records" in preview
    assert "Carry out the erasure" in preview
    # The preview changes nothing, and looking at it is logged.
    assert row_counts(ada.subject_id) == before
    assert AccessEvent.objects.filter(
        subject=str(ada.subject_id), action="read", detail=f"erasure preview {dsr.reference}"
    ).exists()
    # Without ticking the box: refused, the field named, nothing erased.
    refused = officer.post(f"/staff/rights/{dsr.pk}/erasure/", {})
    assert refused.status_code == 200
    assert "Tick the box to confirm you have read the preview." in refused.content.decode()
    assert not ErasureRun.objects.exists() and row_counts(ada.subject_id) == before
    done = officer.post(f"/staff/rights/{dsr.pk}/erasure/", {"checked": "on"})
    assert done.status_code == 302 and done["Location"] == f"/staff/rights/{dsr.pk}/erasure/"
    run = ErasureRun.objects.get(request=dsr)
    assert run.status == ErasureRun.Status.DONE and run.started_by == "Dana (privacy officer)"
    after = page(officer, f"/staff/rights/{dsr.pk}/erasure/")
    assert "Erased" in after and "Carry out the erasure" not in after
    assert "Microsoft (Office 365)" in after
    assert authenticate(email="ada@example.com", password=DEMO_PASSWORD) is None


@pytest.mark.parametrize("role", ["support", "marketing", "finance"])
def test_other_roles_cannot_preview_carry_out_or_tick_off(
    client: Client, make_staff: Callable[..., User], ada: Customer, role: str
) -> None:
    dsr = erasure_request(ada)
    before, logged = row_counts(ada.subject_id), AccessEvent.objects.count()
    client.force_login(make_staff(role=role))
    assert client.get(f"/staff/rights/{dsr.pk}/erasure/").status_code == 403
    assert client.post(f"/staff/rights/{dsr.pk}/erasure/", {"checked": "on"}).status_code == 403
    assert client.get("/staff/rights/processors/").status_code == 403
    report = dsr_fulfil_erasure(dsr=erasure_request(make_other(ada)), actor=DANA)
    notice = ProcessorNotice.objects.filter(run=report.run).first()
    assert notice is not None
    path = f"/staff/rights/processors/{notice.pk}/done/"
    assert client.post(path, {f"{notice.pk}-confirmation": "x"}).status_code == 403
    notice.refresh_from_db()
    assert notice.is_open
    assert row_counts(ada.subject_id) == before
    assert not AccessEvent.objects.filter(pk__gt=logged, subject=str(ada.subject_id)).exists()


def make_other(ada: Customer) -> Customer:
    """A second customer, with no more than a profile."""
    from tutela.conftest import customer_details
    from tutela.customers.api import customer_signup

    return customer_signup(
        email="carl@example.com",
        password=DEMO_PASSWORD,
        details=customer_details(full_name="Carl Gauss"),
        email_verified=True,
    )


def test_customers_get_403_and_anonymous_visitors_the_staff_sign_in(
    client: Client, ada: Customer
) -> None:
    dsr = erasure_request(ada)
    response = client.get(f"/staff/rights/{dsr.pk}/erasure/")
    assert response.status_code == 302 and response["Location"].startswith("/staff/login/")
    client.force_login(ada.user)
    assert client.get(f"/staff/rights/{dsr.pk}/erasure/").status_code == 403
    assert client.post(f"/staff/rights/{dsr.pk}/erasure/", {"checked": "on"}).status_code == 403
    assert not ErasureRun.objects.exists()


def test_an_unverified_request_offers_no_button_and_a_post_is_refused(
    officer: Client, ada: Customer
) -> None:
    dsr = erasure_request(ada, verified=False)
    preview = page(officer, f"/staff/rights/{dsr.pk}/erasure/")
    assert "identity not verified" in preview and "Carry out the erasure</button>" not in preview
    response = officer.post(f"/staff/rights/{dsr.pk}/erasure/", {"checked": "on"}, follow=True)
    assert "not verified yet" in response.content.decode()
    assert not ErasureRun.objects.exists()
    assert Customer.objects.get(pk=ada.pk).full_name == "Ada Lovelace"


def test_another_kind_of_request_has_no_erasure_page(officer: Client, ada: Customer) -> None:
    dsr = erasure_request(ada)
    DataSubjectRequest.objects.filter(pk=dsr.pk).update(kind=DataSubjectRequest.Kind.ACCESS)
    assert officer.get(f"/staff/rights/{dsr.pk}/erasure/").status_code == 404


def test_a_stopped_erasure_is_resumed_from_the_page(officer: Client, ada: Customer) -> None:
    dsr = erasure_request(ada)
    with override_settings(TUTELA_ERASURE_FAIL_AT="suppress"):
        response = officer.post(f"/staff/rights/{dsr.pk}/erasure/", {"checked": "on"}, follow=True)
    text = response.content.decode()
    assert "stopped at step" in text and "Resume the erasure" in text
    run = ErasureRun.objects.get(request=dsr)
    assert run.status == ErasureRun.Status.RUNNING and run.last_error.startswith("suppress")
    officer.post(f"/staff/rights/{dsr.pk}/erasure/")
    run.refresh_from_db()
    assert run.status == ErasureRun.Status.DONE


def test_the_officer_ticks_off_a_processor_with_what_it_confirmed(
    officer: Client, ada: Customer
) -> None:
    report = dsr_fulfil_erasure(dsr=erasure_request(ada), actor=DANA)
    notice = ProcessorNotice.objects.get(run=report.run, processor="webhosting_uk")
    listing = page(officer, "/staff/rights/processors/")
    assert "Webhosting UK COM" in listing and str(ada.subject_id) in listing
    assert "Ada" not in listing
    path = f"/staff/rights/processors/{notice.pk}/done/"
    empty = officer.post(path, {f"{notice.pk}-confirmation": "  "})
    assert empty.status_code == 200 and "This field is required." in empty.content.decode()
    notice.refresh_from_db()
    assert notice.is_open
    done = officer.post(path, {f"{notice.pk}-confirmation": "Ticket 4521: deleted on 3 May"})
    assert done.status_code == 302
    notice.refresh_from_db()
    assert notice.status == ProcessorNotice.Status.DONE
    assert notice.confirmation == "Ticket 4521: deleted on 3 May"
    assert notice.done_by == "Dana (privacy officer)"
    assert "Ticket 4521" in page(officer, "/staff/rights/processors/")


def test_a_failed_webhook_is_retried_from_the_page(officer: Client, ada: Customer) -> None:
    with (
        webhook_server(status=503) as (url, received),
        override_settings(
            TUTELA_PROCESSOR_WEBHOOKS={"microsoft_365": {"url": url, "secret": SECRET}}
        ),
    ):
        report = dsr_fulfil_erasure(dsr=erasure_request(ada), actor=DANA)
        notice = ProcessorNotice.objects.get(run=report.run, processor="microsoft_365")
        assert notice.status == ProcessorNotice.Status.FAILED
        assert "HTTP 503" in page(officer, "/staff/rights/processors/")
        received.status = 200
        officer.post(f"/staff/rights/processors/{notice.pk}/retry/")
    notice.refresh_from_db()
    assert notice.status == ProcessorNotice.Status.DELIVERED and notice.attempts == 2
    assert len(received.requests) == 2
    deliveries = {call["headers"]["X-Tutela-Delivery"] for call in received.requests}
    assert deliveries == {str(notice.pk)}  # the same idempotency key on the retry


# --- The Privacy Centre -----------------------------------------------------------------------


def test_a_customers_erasure_request_waits_for_a_privacy_officer_by_default(
    client: Client, ada: Customer
) -> None:
    sign_in(client, ada)
    response = client.post("/privacy/ask/erasure/", {"details": "Close my account."}, follow=True)
    dsr = DataSubjectRequest.objects.get(kind=DataSubjectRequest.Kind.ERASURE)
    assert dsr.status == DataSubjectRequest.Status.IN_PROGRESS and dsr.is_verified
    assert "A privacy officer will check it" in response.content.decode()
    assert not ErasureRun.objects.exists()
    assert Customer.objects.get(pk=ada.pk).full_name == "Ada Lovelace"


@override_settings(TUTELA_ERASURE_AUTOMATIC=True)
def test_with_automatic_erasure_the_request_is_carried_out_and_the_person_signed_out(
    client: Client, ada: Customer, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    sign_in(client, ada)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/privacy/ask/erasure/", {"details": ""})
    assert response.status_code == 200
    assert "Your data is being erased" in response.content.decode()
    assert "_auth_user_id" not in client.session
    run = ErasureRun.objects.get()
    assert run.status == ErasureRun.Status.DONE and run.started_by == "erasure"
    assert authenticate(email="ada@example.com", password=DEMO_PASSWORD) is None
    assert client.get("/privacy/").status_code == 200  # signed out, the public page
