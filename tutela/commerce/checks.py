"""System checks: start-up stops when the payment provider cannot be loaded, or when it would
send card data to a processor the policy does not declare for payment details (R26)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Info, register
from django.core.exceptions import ImproperlyConfigured

from tutela.commerce.providers import payment_provider
from tutela.commerce.providers.fake import FakeProvider
from tutela.policy.api import PolicyFileError, load_policy


@register("tutela")
def check_payment_provider(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """commerce.E001: the provider is unusable; commerce.E002: its processor is undeclared."""
    try:
        provider = payment_provider()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), hint="See .env.example, Payments.", id="commerce.E001")]
    if provider.processor is None:
        return []
    try:
        policy = load_policy(settings.TUTELA_POLICY_FILE)
    except PolicyFileError:
        return []  # the policy's own check reports it
    processor = next((p for p in policy.processors if p.key == provider.processor), None)
    if processor is None or "payment_details" not in processor.categories:
        return [
            Error(
                f"the payment provider {provider.name!r} sends card data to processor "
                f"{provider.processor!r}, which the policy does not declare as receiving "
                "payment_details",
                hint="Add the processor, with payment_details, to `processors` in the policy file.",
                id="commerce.E002",
            )
        ]
    return []


@register("tutela", deploy=True)
def check_fake_provider_in_production(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """commerce.I001 (deploy): the fake provider takes no money; fine for a demo, not a shop."""
    try:
        provider = payment_provider()
    except ImproperlyConfigured:
        return []  # commerce.E001 reports it
    if isinstance(provider, FakeProvider):
        return [
            Info(
                "TUTELA_PAYMENT_PROVIDER is the fake provider: orders are marked paid without "
                "any money being taken",
                hint="Set TUTELA_PAYMENT_PROVIDER to your card processor's provider class.",
                id="commerce.I001",
            )
        ]
    return []
