"""The loop of `manage.py tutela_worker`: django-tasks' database worker, plus the periodic jobs.

One process, one thread: each pass enqueues the periodic jobs that are due, then runs the tasks
that are ready (at most TASKS_PER_PASS, so a long queue does not hold the schedule up), then
sleeps `interval` seconds when idle. Tasks are run by django-tasks-db's own Worker (claiming a
task with SELECT ... FOR UPDATE SKIP LOCKED, so several workers never run one task twice; a
failed task is marked FAILED with its traceback and the worker goes on). With another task
backend the tasks run elsewhere and this loop only enqueues the periodic jobs.
"""

from __future__ import annotations

import logging
import signal
import sys
import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from types import FrameType

from django.db import close_old_connections
from django.utils import timezone
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks.utils import get_random_id
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.management.commands.db_worker import Worker

from tutela.core.schedule import PeriodicJob, schedule
from tutela.core.services import DueJobs, periodic_jobs_enqueue_due

logger = logging.getLogger(__name__)

TASKS_PER_PASS = 20


class JobClock:
    """Asks the database about a job only when its slot changes, not on every poll."""

    def __init__(self, jobs: Iterable[PeriodicJob]) -> None:
        self.jobs = list(jobs)
        self._settled: dict[str, datetime] = {}

    def tick(self, now: datetime) -> DueJobs:
        """Enqueue the jobs whose slot this process has not settled yet (done, or taken)."""
        pending = [job for job in self.jobs if self._settled.get(job.name) != job.slot_at(now)]
        if not pending:
            return DueJobs()
        result = periodic_jobs_enqueue_due(now=now, jobs=pending)
        failed = {job.name for job in result.failed}
        for job in pending:
            if job.name not in failed:  # a failure stays pending: tried again next pass
                self._settled[job.name] = job.slot_at(now)
        return result


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    logger.warning("tutela_worker: %s received; stopping", signal.strsignal(signum))
    sys.exit(0)


def worker_run(
    *,
    once: bool = False,
    interval: float = 1.0,
    queue_names: Sequence[str] = ("default",),
    worker_id: str | None = None,
    jobs: Iterable[PeriodicJob] | None = None,
    handle_signals: bool = False,
) -> None:
    """Run passes until stopped (SIGTERM/SIGINT), or one pass that ends when idle if `once`.

    A failing pass (the database away) is logged and retried after `interval`; only `once`
    lets its error out. With `handle_signals`, a signal during a task lets it finish first.
    """
    backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    runs_tasks = isinstance(backend, DatabaseBackend)
    clock = JobClock(schedule if jobs is None else jobs)
    worker_id = worker_id or get_random_id()
    # django-tasks-db's Worker logs "Starting worker" and "No more tasks" at INFO each time it
    # is called; we call it every pass. Its warnings and errors still show.
    logging.getLogger("django_tasks_db").setLevel(logging.WARNING)
    logger.info(
        "tutela_worker %s: %s; periodic jobs: %s",
        worker_id,
        f"running the tasks of queue(s) {', '.join(queue_names)}"
        if runs_tasks
        else f"tasks run by {type(backend).__name__}, this worker only enqueues periodic jobs",
        "; ".join(str(job) for job in clock.jobs) or "none",
    )
    if handle_signals and not runs_tasks:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, _exit_on_signal)
    while True:
        try:
            clock.tick(timezone.now())
            if runs_tasks:
                worker = Worker(
                    queue_names=list(queue_names),
                    interval=interval,
                    batch=True,  # return when no task is ready, so the schedule gets a turn
                    backend_name=backend.alias,
                    startup_delay=False,
                    max_tasks=None if once else TASKS_PER_PASS,
                    worker_id=worker_id,
                )
                if handle_signals:
                    worker.configure_signals()
                worker.run()
                if not worker.running:  # a signal arrived during a task, which finished
                    return
        except Exception:
            if once:
                raise
            logger.exception("tutela_worker: this pass failed; trying again in %ss", interval)
        if once:
            return
        close_old_connections()
        time.sleep(interval)
