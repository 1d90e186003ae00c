"""Erasure end to end through the services: every catalogued row deleted, anonymised or held as
its entry says, keys shredded, the address suppressed, processors told, the person told; and
refusals, idempotence, and another customer left alone (R14, R18, R32, R41, R42, R44)."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.core import mail
from django.db import models, transaction
from django.db.models import ProtectedError
from django.test import Client, override_settings
from django.utils import timezone

from tutela.audit.api import AccessEvent
from tutela.commerce.api import Invoice, Order, OrderLine, Payment, Product, product_create
from tutela.conftest import DEMO_PASSWORD
from tutela.consent.api import Channel, OptIn, is_suppressed, newsletter_subscribe_request
from tutela.crypto.api import (
    ERASED,
    BlindIndexField,
    EncryptedBinaryField,
    EncryptedJSONField,
    EncryptedTextField,
    KeyClass,
    is_erased,
    subject_key_status,
)
from tutela.customers.api import Customer
from tutela.policy import catalog
from tutela.policy.api import Entry, Erasure, catalog_entries, catalog_entry_for
from tutela.rights.models import (
    DataSubjectRequest,
    DsrEvent,
    ErasureRun,
    ErasureStep,
    LegalHold,
    ProcessorNotice,
)
from tutela.rights.services import (
    ErasureRefused,
    dsr_fulfil_erasure,
    erasure_preview,
)
from tutela.rights.services.erasure_rows import after, delete_rows, kept_categories, overwrites
from tutela.rights.tests.erasure_data import (
    DANA,
    erasure_request,
    everything,
    invoice_of,
    webhook_server,
)
from tutela.rights.tests.test_export_data import Things, things
from tutela.staff.models import StaffCorrection
from tutela.staff.selectors import staff_member_for_user
from tutela.staff.services import customer_correct

pytestmark = pytest.mark.django_db
ENCRYPTED = (EncryptedTextField, EncryptedJSONField, EncryptedBinaryField)
SECRET = "a-webhook-secret-of-some-length"


@pytest.fixture
def shared(db: None) -> Things:
    return things()


@pytest.fixture
def printer(db: None) -> Product:
    return product_create(
        name="Label printer LP-200",
        description="Thermal label printer.",
        kind="product",
        price_pence=24_900,
        actor=DANA,
    )


@pytest.fixture
def ada(make_customer: Callable[..., Customer], shared: Things, printer: Product) -> Customer:
    customer = make_customer(email="ada@example.com", full_name="Ada Lovelace")
    everything(customer, shared, printer, tag="ADA")
    return customer


@pytest.fixture
def bob(make_customer: Callable[..., Customer], shared: Things, printer: Product) -> Customer:
    customer = make_customer(email="bob@example.com", full_name="Bob Babbage", city="Leeds")
    everything(customer, shared, printer, tag="BOB")
    return customer


def row_counts(subject: Any) -> dict[str, int]:
    return {entry.label: entry.rows_for(str(subject)).count() for entry in catalog_entries()}


def readable(entry: Entry, row: models.Model, name: str) -> bool:
    """Whether a personal field of a row still shows something."""
    value = getattr(row, name)
    return value not in (None, "", b"", {}, []) and not is_erased(value)


def left_readable(subject: Any) -> set[tuple[str, str]]:
    """(entry, field) of every personal value about the subject that can still be read."""
    found = set()
    for entry in catalog_entries():
        for row in entry.rows_for(str(subject)):
            for name in entry.fields:
                if readable(entry, row, name):
                    found.add((entry.label, name))
    return found


def allowed_after_erasure() -> set[tuple[str, str]]:
    """What the catalog says survives: fields of held entries that are neither minimised nor
    encrypted under a shredded key (financial records, the access log, consent proof)."""
    allowed = set()
    for entry in catalog_entries():
        if entry.erasure is not Erasure.LEGAL_HOLD:
            continue
        kept = set(kept_categories(entry.model))
        for name in entry.fields:
            model_field = entry.model._meta.get_field(name)
            if name in overwrites(entry.model) or isinstance(model_field, BlindIndexField):
                continue
            if isinstance(model_field, ENCRYPTED) and model_field.key_class != KeyClass.FINANCIAL:
                continue
            if set(entry.field_categories(name)) & kept:
                allowed.add((entry.label, name))
    return allowed


def erase(dsr: DataSubjectRequest, **options: Any) -> Any:
    return dsr_fulfil_erasure(dsr=dsr, actor=DANA, **options)


def test_erasure_leaves_nothing_personal_readable_but_what_the_catalog_holds(
    ada: Customer, bob: Customer
) -> None:
    before = row_counts(ada.subject_id)
    bob_before = row_counts(bob.subject_id)
    assert before["support.Attachment"] == 1 and before["correspondence.CallRecording"] == 1
    assert before["visits.Visit"] == 1 and before["consent.Subscriber"] == 1
    report = erase(erasure_request(ada))
    assert report.steps == list(ErasureRun.Step.values) and not report.already_complete
    after_counts = row_counts(ada.subject_id)
    for entry in catalog_entries():
        if entry.erasure is Erasure.DELETE:
            assert after_counts[entry.label] == 0, entry.label
    # Every value still readable is one the catalog keeps; nothing else, in any app.
    survivors = left_readable(ada.subject_id)
    assert survivors <= allowed_after_erasure(), survivors - allowed_after_erasure()
    assert ("commerce.Invoice", "total_pence") in survivors
    assert not any(
        label.startswith(("customers.", "support.", "feedback.")) for label, _ in survivors
    )
    # The other customer is untouched.
    assert row_counts(bob.subject_id) == bob_before
    bob = Customer.objects.get(pk=bob.pk)
    assert bob.full_name == "Bob Babbage" and bob.city == "BOB City 0"
    assert authenticate(email="bob@example.com", password=DEMO_PASSWORD) is not None


def test_the_invoice_survives_as_the_catalog_says_and_the_payment_is_minimised(
    ada: Customer,
) -> None:
    order = Order.objects.get(subject_id=ada.subject_id)
    issued = invoice_of(order)
    billing_name, total = issued.billing_name, issued.total_pence
    erase(erasure_request(ada))
    invoice = invoice_of(order)
    assert invoice.number == issued.number and invoice.total_pence == total
    held = catalog_entry_for(Invoice)
    if "billing_name" in held.anonymise:
        assert is_erased(invoice.billing_name)
    else:  # the entry keeps the VAT invoice as issued (VAT Regulations 1995, reg. 14)
        assert invoice.billing_name == billing_name
    payment = Payment.objects.get(order=order)
    assert is_erased(payment.provider_token) and is_erased(payment.card_exp_year)
    assert payment.card_last4 == "4242" and payment.amount_pence == order.total_pence
    # The profile the invoice was issued from is gone.
    profile = Customer.objects.get(pk=ada.pk)
    assert is_erased(profile.full_name) and is_erased(profile.address_line1)
    assert profile.full_name_bidx is None


def test_the_invoice_survives_without_the_name_when_the_catalog_minimises_it(
    ada: Customer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The walker applies whatever minimisation an entry declares: with the billing name and
    address in Invoice's anonymise= map, the invoice survives without them."""
    entry = catalog_entry_for(Invoice)
    minimised = dataclasses.replace(
        entry, anonymise={"billing_name": ERASED, "billing_address": ERASED}
    )
    entries: dict[Any, Entry] = catalog._entries
    monkeypatch.setitem(entries, Invoice, minimised)
    order = Order.objects.get(subject_id=ada.subject_id)
    erase(erasure_request(ada))
    invoice = invoice_of(order)
    assert is_erased(invoice.billing_name) and is_erased(invoice.billing_address)
    assert invoice.number.startswith("INV-") and invoice.total_pence == order.total_pence
    assert "Ada" not in " ".join(invoice.billing_lines)


def test_holds_are_recorded_with_their_rule_reason_and_end_date(ada: Customer) -> None:
    order = Order.objects.get(subject_id=ada.subject_id)
    dsr = erasure_request(ada)
    erase(dsr)
    holds = {hold.retention: hold for hold in LegalHold.objects.filter(subject_id=ada.subject_id)}
    assert {"financial_records", "rights_requests", "access_logs", "consent_records"} <= set(holds)
    financial = holds["financial_records"]
    labels = {source["label"] for source in financial.sources}
    assert labels == {
        "commerce.Order",
        "commerce.OrderLine",
        "commerce.Payment",
        "commerce.Invoice",
    }
    # The policy file: 7 years from the (last) transaction, which covers HMRC's 6.
    assert order.paid_at is not None
    latest = max(order.placed_at, order.paid_at, invoice_of(order).issued_at)
    assert financial.starts_at == latest
    assert financial.ends_at is not None
    assert financial.ends_at == after(latest, catalog_rule_duration("financial_records"))
    assert financial.ends_at - latest >= timedelta(days=6 * 366)
    assert "HMRC" in financial.reason
    assert holds["rights_requests"].ends_at is not None
    assert holds["rights_requests"].run is not None


def catalog_rule_duration(key: str) -> Any:
    from tutela.policy.api import current_policy

    rule = next(rule for rule in current_policy().retention if rule.key == key)
    return rule.duration


def test_keys_are_shredded_but_the_financial_key_kept_and_the_user_cannot_sign_in(
    ada: Customer, client: Client
) -> None:
    erase(erasure_request(ada))
    status = {key.key_class: key.shredded_at for key in subject_key_status(subject=ada.subject_id)}
    assert all(status[k] is not None for k in ("account", "support", "marketing"))
    assert status["financial"] is None
    assert authenticate(email="ada@example.com", password=DEMO_PASSWORD) is None
    response = client.post(
        "/accounts/login/", {"login": "ada@example.com", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_the_suppression_list_refuses_the_erased_address_a_new_subscription(
    ada: Customer,
) -> None:
    assert not is_suppressed("ada@example.com")
    erase(erasure_request(ada))
    assert is_suppressed("ADA@example.com ")
    sent = len(mail.outbox)
    outcome = newsletter_subscribe_request(
        agreed=True, channel=Channel.WEB_FORM, email="ada@example.com", actor=DANA
    )
    assert outcome == OptIn.SUPPRESSED and len(mail.outbox) == sent  # no opt-in link sent


def test_each_processor_gets_a_task_and_a_webhook_is_signed_and_delivered(ada: Customer) -> None:
    with webhook_server() as (url, received):
        webhooks = {"microsoft_365": {"url": url, "secret": SECRET}}
        with override_settings(TUTELA_PROCESSOR_WEBHOOKS=webhooks):
            report = erase(erasure_request(ada))
    notices = {n.processor: n for n in ProcessorNotice.objects.filter(run=report.run)}
    assert {"webhosting_uk", "microsoft_365"} <= set(notices)
    microsoft = notices["microsoft_365"]
    assert microsoft.method == ProcessorNotice.Method.WEBHOOK
    assert microsoft.status == ProcessorNotice.Status.DELIVERED and microsoft.response_status == 204
    assert notices["webhosting_uk"].method == ProcessorNotice.Method.MANUAL
    assert notices["webhosting_uk"].is_open
    (call,) = received.requests
    body = call["body"]
    stamp, signature = (
        part.split("=", 1)[1] for part in call["headers"]["X-Tutela-Signature"].split(",")
    )
    expected = hmac.new(SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(signature, expected)
    assert call["headers"]["X-Tutela-Delivery"] == str(microsoft.pk)
    payload = json.loads(body)
    assert payload["subject"] == str(ada.subject_id) and payload["type"] == "erasure"
    assert "name" in payload["erase"] and "invoices" in {k["category"] for k in payload["keep"]}
    # Pseudonymous only: no name or address in what the processor receives.
    assert b"Ada" not in body and b"ada@example.com" not in body


def test_a_failed_webhook_is_recorded_for_the_officer_and_the_erasure_still_completes(
    ada: Customer,
) -> None:
    with webhook_server(status=500) as (url, _):
        webhooks = {"microsoft_365": {"url": url, "secret": SECRET}}
        with override_settings(TUTELA_PROCESSOR_WEBHOOKS=webhooks):
            report = erase(erasure_request(ada))
    notice = ProcessorNotice.objects.get(run=report.run, processor="microsoft_365")
    assert notice.status == ProcessorNotice.Status.FAILED and notice.is_open
    assert "HTTP 500" in notice.last_error and notice.attempts == 1
    assert report.run.status == ErasureRun.Status.DONE


def test_the_confirmation_lists_what_was_erased_and_what_is_kept_and_why(ada: Customer) -> None:
    dsr = erasure_request(ada)
    mail.outbox.clear()
    report = erase(dsr)
    (message,) = [m for m in mail.outbox if "erased" in m.subject]
    assert message.to == ["ada@example.com"]
    body = message.body
    assert dsr.reference in body
    for erased in ("Your name", "Address", "Phone numbers", "Correspondence", "Call recordings"):
        assert erased in body
    assert "invoices" in body and "HMRC" in body and "until" in body
    assert "suppression list" in body and "keyed hash" in body
    assert "requests" in body  # the request record itself, kept as evidence
    assert "Ada Lovelace" not in body
    # The captured address is gone afterwards: erased on the run, and the run's key shredded.
    run = ErasureRun.objects.get(pk=report.run.pk)
    assert is_erased(run.contact_emails)
    assert all(k.shredded_at for k in subject_key_status(subject=run.pk))
    dsr.refresh_from_db()
    assert dsr.status == DataSubjectRequest.Status.DONE
    assert DsrEvent.objects.filter(request=dsr, kind=DsrEvent.Kind.COMPLETED).exists()


def test_every_change_is_in_the_access_log_as_the_staff_member(ada: Customer) -> None:
    erase(erasure_request(ada))
    events = AccessEvent.objects.filter(
        subject=str(ada.subject_id), actor_label="Dana (privacy_officer)"
    )
    actions = set(events.values_list("action", flat=True))
    assert {"delete", "anonymise", "change", "shred", "create"} <= actions
    deleted = events.get(action="delete")
    assert "call_recordings" in deleted.categories and "ip_address" in deleted.categories


def test_a_second_run_changes_nothing_and_says_so(ada: Customer) -> None:
    dsr = erasure_request(ada)
    erase(dsr)
    logged, holds, sent = AccessEvent.objects.count(), LegalHold.objects.count(), len(mail.outbox)
    steps = ErasureStep.objects.count()
    report = erase(dsr)
    assert report.already_complete and report.steps == []
    assert "nothing was changed" in report.summary
    assert (AccessEvent.objects.count(), LegalHold.objects.count()) == (logged, holds)
    assert (len(mail.outbox), ErasureStep.objects.count()) == (sent, steps)


def test_an_unverified_request_is_refused_and_nothing_changes(ada: Customer) -> None:
    dsr = erasure_request(ada, verified=False)
    assert dsr.customer_id == ada.pk and not dsr.is_verified
    before, logged = row_counts(ada.subject_id), AccessEvent.objects.count()
    with pytest.raises(ErasureRefused, match="not verified"):
        erase(dsr)
    assert row_counts(ada.subject_id) == before and AccessEvent.objects.count() == logged
    assert not ErasureRun.objects.exists()


def test_another_kind_of_request_is_refused(ada: Customer) -> None:
    dsr = erasure_request(ada)
    dsr.kind = DataSubjectRequest.Kind.ACCESS
    with pytest.raises(ErasureRefused, match="Only an erasure request"):
        erase(dsr)


def test_a_missing_master_key_refuses_with_a_clear_error_and_changes_nothing(
    ada: Customer, tmp_path: Any
) -> None:
    dsr = erasure_request(ada)
    before = row_counts(ada.subject_id)
    gone = tmp_path / "gone" / "master-keys.json"
    with (
        override_settings(TUTELA_KEY_FILE=gone),
        pytest.raises(ErasureRefused, match=r"master key is not available.*missing"),
    ):
        erase(dsr)
    assert row_counts(ada.subject_id) == before and not ErasureRun.objects.exists()


def test_the_preview_counts_rows_per_entry_and_changes_nothing(ada: Customer) -> None:
    before = row_counts(ada.subject_id)
    plan = erasure_preview(str(ada.subject_id))
    by_label = {entry["label"]: entry for entry in plan["entries"]}
    assert [e.label for e in catalog_entries()] == list(by_label)
    for label, count in before.items():
        assert by_label[label]["rows"] == count, label
    assert by_label["support.Attachment"]["action"] == "delete"
    assert by_label["customers.Customer"]["action"] == "anonymise"
    assert by_label["commerce.Payment"]["action"] == "legal_hold"
    assert by_label["commerce.Payment"]["minimised"] == [
        "provider_token",
        "card_exp_month",
        "card_exp_year",
    ]
    assert "financial_records" in {hold["retention"] for hold in plan["holds"]}
    assert row_counts(ada.subject_id) == before


def test_only_what_the_catalog_marks_is_touched_in_shared_tables(
    ada: Customer, bob: Customer, shared: Things
) -> None:
    """Questionnaires, contests and products are everyone's; erasure leaves them."""
    erase(erasure_request(ada))
    shared.questionnaire.refresh_from_db()
    shared.contest.refresh_from_db()
    assert Product.objects.count() == 1
    assert Order.objects.filter(subject_id=bob.subject_id).count() == 1
    assert timezone.now() - shared.contest.created_at < timedelta(hours=1)


def test_a_staff_correction_and_its_links_to_the_history_go_but_not_anothers(
    ada: Customer, bob: Customer, make_staff: Callable[..., Any]
) -> None:
    """Deleting without loading rows (delete_rows) still removes what refers to them: the
    many-to-many links from staff corrections to the profile history."""
    officer = staff_member_for_user(make_staff(role="privacy_officer"))
    assert officer is not None
    for customer, city in ((ada, "Paris"), (bob, "Rome")):
        customer_correct(customer=customer, changes={"city": city}, reason="Phoned", actor=officer)
    links = StaffCorrection.changes.through.objects
    assert links.count() == 2
    erase(erasure_request(ada))
    assert not StaffCorrection.objects.filter(customer=ada).exists()
    assert StaffCorrection.objects.filter(customer=bob).count() == 1
    (link,) = links.all()
    assert link.profilechange.subject_id == bob.subject_id


def test_rows_another_table_protects_are_refused_and_the_transaction_undoes_the_rest(
    ada: Customer,
) -> None:
    """An order's payment is PROTECT: deleting the order fails as Django's Collector would,
    and what was deleted before the refusal (its lines) comes back with the rollback."""
    orders = Order.objects.filter(subject_id=ada.subject_id)
    lines = OrderLine.objects.filter(order__subject_id=ada.subject_id).count()
    with (
        pytest.raises(ProtectedError, match=r"referred to by commerce\.Payment"),
        transaction.atomic(),
    ):
        delete_rows(orders)
    assert orders.count() == 1
    assert OrderLine.objects.filter(order__subject_id=ada.subject_id).count() == lines > 0
