from django.apps import AppConfig


class CryptoConfig(AppConfig):
    """Field encryption with per-subject data keys, blind indexes and crypto-shredding."""

    name = "tutela.crypto"
    label = "crypto"
