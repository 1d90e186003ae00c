"""Background tasks of the security log: the daily retention sweep of IP addresses (R30, R31)."""

from __future__ import annotations

from django_tasks import task

from tutela.audit.api import Actor
from tutela.visits.services import visits_truncate


@task()
def visits_truncate_task() -> dict[str, dict[str, int]]:
    """Apply the security-log retention rule as the system job `visits_truncate`.

    Side effects: those of services.visits_truncate (addresses cut to their network, old rows
    deleted, each batch with its access-log events), which logs its counts per store. Returns
    those counts.
    """
    results = visits_truncate(actor=Actor.system("visits_truncate"))
    return {label: counts._asdict() for label, counts in results.items()}
