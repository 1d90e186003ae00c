"""The periodic jobs' bookkeeping: which slot of each job was last enqueued."""

from __future__ import annotations

from django.db import models


class PeriodicJobState(models.Model):
    """When the scheduler last enqueued a periodic job, so restarts and other workers skip it."""

    # The job's registered name (tutela/core/schedule.py); unique, so two workers share one row.
    job = models.CharField(max_length=64, unique=True)
    # The start of the last slot enqueued (see PeriodicJob.slot_at); a slot runs once.
    last_slot = models.DateTimeField(null=True, blank=True)
    last_enqueued_at = models.DateTimeField(null=True, blank=True)
    # The task backend's id of that run, to find its result (status, traceback).
    last_task_id = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return (
            f"{self.job} (last slot {self.last_slot:%Y-%m-%d %H:%M})"
            if self.last_slot
            else self.job
        )
