from django.apps import AppConfig


class CommerceConfig(AppConfig):
    """Products and services, orders, payments through a provider, invoices: the financial records."""

    name = "tutela.commerce"
    label = "commerce"
