"""The consent receipt a customer downloads, and the catalog entries behind exports (R20)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from tutela.consent.models import ConsentRecord, Subscriber, SuppressedAddress
from tutela.consent.notices import NEWSLETTER_CONSENT, NEWSLETTER_WITHDRAWAL
from tutela.customers.models import Customer
from tutela.policy.api import Erasure, ExportSection, catalog_entry_for, export_section_of


@pytest.mark.django_db
def test_the_customer_downloads_a_receipt_of_every_record(
    client: Client,
    make_customer: Callable[..., Customer],
    subscribe: Callable[..., Subscriber],
) -> None:
    customer = make_customer()
    subscribe(customer=customer)
    client.force_login(customer.user)
    client.post("/consent/subscriptions/unsubscribe/")
    response = client.get("/consent/receipt.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == 'attachment; filename="consent-receipt.json"'
    assert response["Cache-Control"] == "no-store"
    receipt = response.json()
    assert receipt["schema_version"] == "tutela.consent-receipt/1"
    assert receipt["pii_principal_id"] == str(customer.subject_id)
    assert receipt["pii_controller"]["name"] == "C-MES Solutions Ltd"
    given, withdrawn = receipt["records"]
    ledger = list(ConsentRecord.objects.order_by("id"))
    assert [given["record_id"], withdrawn["record_id"]] == [str(r.record_id) for r in ledger]
    assert given["event"]["type"] == "consent_given" and given["consent_type"] == "explicit"
    assert given["collection_method"] == "account_page"
    assert given["privacy_notice"] == {"version": "1.0", "text_sha256": NEWSLETTER_CONSENT.sha256}
    assert "double opt-in" in given["evidence"].lower()
    assert withdrawn["event"]["type"] == "consent_withdrawn"
    assert withdrawn["privacy_notice"]["text_sha256"] == NEWSLETTER_WITHDRAWAL.sha256
    (state,) = receipt["current_state"]
    assert state["state"] == "withdrawn" and state["purpose"]["id"] == "marketing_email"
    assert state["purpose"]["lawful_basis"] == "consent"
    assert len(state["purpose"]["how_to_withdraw"]) == 3
    page = client.get("/consent/subscriptions/").content.decode()
    assert "Consent withdrawn" in page and "Personal account" in page


def test_the_catalog_files_the_ledger_under_consent_history_and_keeps_it_through_erasure() -> None:
    ledger = catalog_entry_for(ConsentRecord)
    assert ledger.subject == "pii_principal_id" and ledger.erasure is Erasure.LEGAL_HOLD
    assert ledger.retention == "consent_records"
    assert export_section_of(ConsentRecord) is ExportSection.CONSENT_HISTORY
    subscriber = catalog_entry_for(Subscriber)
    assert subscriber.categories == ("contact_email",)
    assert subscriber.retention == "marketing_contacts" and subscriber.erasure is Erasure.DELETE
    suppressed = catalog_entry_for(SuppressedAddress)
    # Erasure unlinks the entry from the person and keeps the hash: never mailed again.
    assert suppressed.erasure is Erasure.LEGAL_HOLD
    assert suppressed.anonymise == {"subject_id": None}
