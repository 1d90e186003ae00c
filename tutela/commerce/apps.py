from django.apps import AppConfig


class CommerceConfig(AppConfig):
    """Products and services, orders, payments through a provider, invoices (financial records)."""

    name = "tutela.commerce"
    label = "commerce"

    def ready(self) -> None:
        """Register the system checks (payment provider and its processor)."""
        from tutela.commerce import checks  # noqa: F401 (registers on import)
