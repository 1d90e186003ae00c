from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared plumbing: request ids, client IPs, the base templates and home page."""

    name = "tutela.core"
    label = "core"
