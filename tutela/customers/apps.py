from django.apps import AppConfig


class CustomersConfig(AppConfig):
    """Customer profiles (the personal account) and the history of every change to them."""

    name = "tutela.customers"
    label = "customers"
