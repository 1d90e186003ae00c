from django.apps import AppConfig


class VisitsConfig(AppConfig):
    """The security log of visitors' IP addresses (truncated, then deleted) and form rate limits."""

    name = "tutela.visits"
    label = "visits"
