from django.apps import AppConfig


class CorrespondenceConfig(AppConfig):
    """Emails to and from customers and records of their calls, scanned for personal data."""

    name = "tutela.correspondence"
    label = "correspondence"
