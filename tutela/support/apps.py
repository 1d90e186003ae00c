from django.apps import AppConfig


class SupportConfig(AppConfig):
    """Applications: support requests customers open from their account and staff answer."""

    name = "tutela.support"
    label = "support"
