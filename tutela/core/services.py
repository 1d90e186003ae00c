"""Writes of the core app: enqueueing periodic jobs, once per slot across every worker."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResult

from tutela.core.models import PeriodicJobState
from tutela.core.schedule import PeriodicJob, schedule

logger = logging.getLogger(__name__)


def periodic_job_enqueue(*, job: PeriodicJob, now: datetime) -> TaskResult[Any] | None:
    """Enqueue `job` for the slot of `now`, unless that slot was enqueued already.

    Safe with several workers and across restarts: the job's state row is locked (SELECT ...
    FOR UPDATE on PostgreSQL; SQLite lets one writer in at a time), so a second worker waits,
    then sees the slot taken. With the database backend the task row commits in the same
    transaction as the slot, so a slot is enqueued exactly once or not at all. Returns the
    task result, or None when there was nothing to do.
    """
    slot = job.slot_at(now)
    # Unique on job: of two workers creating the row, one inserts and the other reads it.
    state, _ = PeriodicJobState.objects.get_or_create(job=job.name)
    if state.last_slot is not None and state.last_slot >= slot:
        return None  # the usual case, answered without taking a lock
    with transaction.atomic():
        state = PeriodicJobState.objects.select_for_update().get(job=job.name)
        if state.last_slot is not None and state.last_slot >= slot:
            return None
        result = job.enqueue()
        state.last_slot = slot
        state.last_enqueued_at = timezone.now()
        state.last_task_id = str(result.id)
        state.save(update_fields=["last_slot", "last_enqueued_at", "last_task_id"])
    logger.info("periodic job %s: enqueued for the slot of %s (task %s)", job.name,
                f"{slot:%Y-%m-%d %H:%M} UTC", result.id)  # fmt: skip
    return result


@dataclass(frozen=True, slots=True)
class DueJobs:
    """What periodic_jobs_enqueue_due did: jobs enqueued, and jobs it could not enqueue."""

    enqueued: list[PeriodicJob] = field(default_factory=list)
    failed: list[PeriodicJob] = field(default_factory=list)


def periodic_jobs_enqueue_due(
    *, now: datetime | None = None, jobs: Iterable[PeriodicJob] | None = None
) -> DueJobs:
    """Enqueue every due job of `jobs` (by default the project's schedule).

    A job that cannot be enqueued (the database away, a bad backend) is logged and left due,
    so the next call tries again; it never stops the others or the worker.
    """
    now = now or timezone.now()
    done = DueJobs()
    for job in schedule if jobs is None else jobs:
        try:
            if periodic_job_enqueue(job=job, now=now) is not None:
                done.enqueued.append(job)
        except Exception:
            logger.exception("periodic job %s: could not enqueue it; trying again", job.name)
            done.failed.append(job)
    return done
