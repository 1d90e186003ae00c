"""The financial records in the personal-data catalog, and the checks on the payment provider
(R14, R26, R43)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from tutela.commerce.checks import check_fake_provider_in_production, check_payment_provider
from tutela.commerce.models import Invoice, Order, OrderLine, Payment, Product
from tutela.commerce.providers import CardDetails, CardToken, ChargeResult, PaymentProvider
from tutela.crypto.api import EncryptedTextField, KeyClass
from tutela.policy.api import Erasure, catalog_entry, catalog_entry_for, current_policy
from tutela.policy.drift import drift_problems

FINANCIAL_MODELS = (Order, OrderLine, Payment, Invoice)


@pytest.mark.parametrize("model", FINANCIAL_MODELS)
def test_financial_records_are_held_through_erasure_and_kept_by_the_financial_rule(
    model: type,
) -> None:
    entry = catalog_entry_for(model)
    assert entry.erasure == Erasure.LEGAL_HOLD
    assert entry.retention == "financial_records"
    rule = next(r for r in current_policy().retention if r.key == "financial_records")
    assert rule.duration is not None and rule.duration.approx_days >= 6 * 365
    assert rule.start is not None and rule.start.value == "transaction"


def test_each_model_stores_only_its_financial_category() -> None:
    assert catalog_entry_for(Order).categories == ("order_details",)
    assert catalog_entry_for(OrderLine).categories == ("order_details",)
    assert catalog_entry_for(Payment).categories == ("payment_details",)
    assert catalog_entry_for(Invoice).categories == ("invoices",)
    assert catalog_entry(Product) is None  # exempt: the catalogue holds no one's data


def test_every_encrypted_commerce_field_uses_the_financial_key() -> None:
    """An erasure shreds the account key; the financial key stays for the retention period."""
    fields = [
        field
        for model in FINANCIAL_MODELS
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]
    names = {f"{field.model.__name__}.{field.name}" for field in fields}
    assert {"Payment.provider_token", "Payment.card_last4", "Invoice.billing_name"} <= names
    assert {field.key_class for field in fields} == {KeyClass.FINANCIAL}


def test_minimising_a_held_payment_drops_the_token_and_expiry_but_keeps_brand_and_last4() -> None:
    anonymise = catalog_entry_for(Payment).anonymise
    assert set(anonymise) == {"provider_token", "card_exp_month", "card_exp_year"}
    assert catalog_entry_for(Invoice).anonymise == {}  # a VAT invoice is kept as issued


def test_no_card_number_or_security_code_field_exists() -> None:
    """R43, structurally: no column could hold a full card number or a security code."""
    for model in FINANCIAL_MODELS:
        for field in model._meta.concrete_fields:
            assert "number" not in field.name or model is Invoice, field.name
            assert "cvc" not in field.name and "cvv" not in field.name
    last4 = Payment._meta.get_field("card_last4")
    assert isinstance(last4, EncryptedTextField) and last4.max_length == 4


def test_the_commerce_models_match_the_policy() -> None:
    """The drift check finds nothing to say about commerce (tutela_check runs it for all)."""
    problems = [p for p in drift_problems(current_policy()) if p.where.startswith("commerce.")]
    assert problems == []


class _UndeclaredProcessorProvider(PaymentProvider):
    """A provider that would send card data to a processor the policy does not list."""

    name = "acme"
    processor = "acme_payments"

    def tokenize(self, *, card: CardDetails) -> CardToken:
        raise NotImplementedError

    def charge(
        self, *, token: str, amount_pence: int, currency: str, idempotency_key: str
    ) -> ChargeResult:
        raise NotImplementedError

    def refund(self, *, reference: str, amount_pence: int, currency: str) -> ChargeResult:
        raise NotImplementedError


class _HostingProvider(_UndeclaredProcessorProvider):
    """A provider run by a processor the policy declares with payment_details."""

    processor = "webhosting_uk"


@override_settings(
    TUTELA_PAYMENT_PROVIDER="tutela.commerce.tests.test_privacy._UndeclaredProcessorProvider"
)
def test_a_provider_sending_card_data_to_an_undeclared_processor_stops_start_up() -> None:
    """R26: card data may reach only processors the policy declares for payment details."""
    errors = check_payment_provider()
    assert [error.id for error in errors] == ["commerce.E002"]
    assert "acme_payments" in errors[0].msg


@override_settings(TUTELA_PAYMENT_PROVIDER="tutela.commerce.tests.test_privacy._HostingProvider")
def test_a_provider_of_a_declared_processor_passes() -> None:
    assert check_payment_provider() == []
    assert check_fake_provider_in_production() == []


@pytest.mark.parametrize(
    "path", ["tutela.commerce.providers.nowhere.Provider", "tutela.commerce.models.Order"]
)
def test_an_unusable_provider_setting_stops_start_up_with_a_clear_error(path: str) -> None:
    with override_settings(TUTELA_PAYMENT_PROVIDER=path):
        errors = check_payment_provider()
    assert [error.id for error in errors] == ["commerce.E001"]
    assert path in errors[0].msg


def test_the_deploy_check_says_the_fake_provider_takes_no_money() -> None:
    messages = check_fake_provider_in_production()
    assert [message.id for message in messages] == ["commerce.I001"]
    assert check_payment_provider() == []
