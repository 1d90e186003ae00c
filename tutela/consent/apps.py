from django.apps import AppConfig


class ConsentConfig(AppConfig):
    """The consent ledger, the newsletter with double opt-in, and the suppression list."""

    name = "tutela.consent"
    label = "consent"
