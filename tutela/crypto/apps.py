from django.apps import AppConfig


class CryptoConfig(AppConfig):
    """Field encryption with per-subject data keys, blind indexes and crypto-shredding."""

    name = "tutela.crypto"
    label = "crypto"
    verbose_name = "Field encryption and key store"

    def ready(self) -> None:
        # Registers the start-up check and the settings-change hook used by tests.
        from tutela.crypto import checks, keystore  # noqa: F401
