from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The append-only, hash-chained access log of personal data and its signed checkpoints."""

    name = "tutela.audit"
    label = "audit"

    def ready(self) -> None:
        """Register the SQLite trigger helper and the system checks."""
        from tutela.audit import checks, triggers

        triggers.connect_signals()
        checks.register()
