from django.apps import AppConfig


class PolicyConfig(AppConfig):
    """The policy as code: schema, loader, start-up check and the "privacy at a glance" page."""

    name = "tutela.policy"
    label = "policy"

    def ready(self) -> None:
        """Register the system check that refuses to start with an invalid policy file."""
        from tutela.policy import checks  # noqa: F401 (registers on import)
