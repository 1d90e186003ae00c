"""The configured payment provider (`TUTELA_PAYMENT_PROVIDER`), loaded once per process."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from tutela.commerce.providers.base import (
    CardDetails,
    CardToken,
    ChargeResult,
    PaymentProvider,
)

DEFAULT_PROVIDER = "tutela.commerce.providers.fake.FakeProvider"

__all__ = [
    "DEFAULT_PROVIDER",
    "CardDetails",
    "CardToken",
    "ChargeResult",
    "PaymentProvider",
    "payment_provider",
]


@functools.cache
def payment_provider() -> PaymentProvider:
    """An instance of the provider class the setting names; ImproperlyConfigured if unusable."""
    path = settings.TUTELA_PAYMENT_PROVIDER
    try:
        provider_class = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"TUTELA_PAYMENT_PROVIDER={path!r} cannot be imported: {exc}"
        ) from exc
    if not (isinstance(provider_class, type) and issubclass(provider_class, PaymentProvider)):
        raise ImproperlyConfigured(
            f"TUTELA_PAYMENT_PROVIDER={path!r} is not a subclass of "
            "tutela.commerce.providers.base.PaymentProvider"
        )
    if not provider_class.name:
        raise ImproperlyConfigured(f"TUTELA_PAYMENT_PROVIDER={path!r} does not set `name`")
    return provider_class()


@receiver(setting_changed)
def _provider_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "TUTELA_PAYMENT_PROVIDER":
        payment_provider.cache_clear()
