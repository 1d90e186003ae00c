from django.apps import AppConfig


class CorrespondenceConfig(AppConfig):
    """Emails to and from customers and records of phone calls, with imports and a personal-data scan."""

    name = "tutela.correspondence"
    label = "correspondence"
