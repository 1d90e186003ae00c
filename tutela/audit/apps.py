from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The append-only, hash-chained access log of personal data and its signed checkpoints."""

    name = "tutela.audit"
    label = "audit"
