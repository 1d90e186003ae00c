from django.apps import AppConfig


class PolicyConfig(AppConfig):
    """The policy as code: schema, loader, start-up check and the "privacy at a glance" page."""

    name = "tutela.policy"
    label = "policy"

    def ready(self) -> None:
        """Register the system checks and load every app's catalog entries (`privacy.py`)."""
        from django.utils.module_loading import autodiscover_modules

        from tutela.policy import checks  # noqa: F401 (registers on import)

        autodiscover_modules("privacy")
