"""Core's background tasks: run a management command as a job, prune finished task results.

Tasks are thin (STYLE.md): they call a service or a command and log what it did. Their
arguments, return values and tracebacks are stored by the task backend in plain text, so they
take names and ids, never personal data.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from io import StringIO

from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from django_tasks import task, task_backends

logger = logging.getLogger(__name__)


@task()
def run_command(name: str) -> None:
    """Run the management command `name` and log each line it printed."""
    out = StringIO()
    call_command(name, stdout=out, stderr=out)
    for line in out.getvalue().splitlines():
        if line.strip():
            logger.info("%s: %s", name, line)


@task()
def task_results_prune() -> int:
    """Delete finished task results older than TUTELA_TASK_RESULTS_DAYS; returns how many.

    Side effects: deletes the rows of finished tasks (successful or failed) of the database
    backend, with their arguments, return values and tracebacks. Keeps: tasks waiting or
    running. Does nothing on other backends, which keep results (or not) by their own rules.
    """
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    backend = task_backends["default"]
    if not isinstance(backend, DatabaseBackend):
        logger.info("task_results_prune: the task backend is not the database; nothing to do")
        return 0
    cut_off = timezone.now() - timedelta(days=settings.TUTELA_TASK_RESULTS_DAYS)
    deleted, _ = (
        DBTaskResult.objects.finished()
        .filter(backend_name=backend.alias, finished_at__lt=cut_off)
        .delete()
    )
    logger.info(
        "task_results_prune: deleted %d task result(s) finished before %s",
        deleted,
        f"{cut_off:%Y-%m-%d %H:%M}",
    )
    return deleted
