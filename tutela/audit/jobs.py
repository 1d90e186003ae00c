"""The access log's periodic job: a signed checkpoint every TUTELA_AUDIT_SEAL_MINUTES (R7)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from tutela.audit.tasks import audit_seal_task
from tutela.core.schedule import schedule

schedule.register(
    "audit_seal",
    task=audit_seal_task,
    every=timedelta(minutes=settings.TUTELA_AUDIT_SEAL_MINUTES),
)
