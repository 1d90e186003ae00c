from django.apps import AppConfig


class RightsConfig(AppConfig):
    """Data-subject rights: the Privacy Centre, the request queue with its deadline clock, and
    access, erasure, rectification, restriction and objection, reaching other apps only through
    the personal-data catalog."""

    name = "tutela.rights"
    label = "rights"

    def ready(self) -> None:
        """Register the erasure system checks."""
        from tutela.rights import checks  # noqa: F401 (registers on import)
