"""The worker: periodic jobs enqueued once per slot, run by a real database-backend worker."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from django_tasks import TaskResult, TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from tutela.audit.api import Actor, AuditCheckpoint, access_record
from tutela.core.models import PeriodicJobState
from tutela.core.schedule import PeriodicJob, Schedule, schedule
from tutela.core.services import periodic_job_enqueue, periodic_jobs_enqueue_due
from tutela.core.worker import worker_run

DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
T0 = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)


@task()
def count_call() -> str:
    """A task that succeeds."""
    return "counted"


@task()
def always_fails() -> None:
    """A task that fails, as a job might (a broken chain, the mail server away)."""
    raise RuntimeError("the mail server is away")


def hourly(name: str, task_: Any = count_call) -> PeriodicJob:
    return Schedule().register(name, task=task_, every=timedelta(hours=1))


def results_of(job: PeriodicJob) -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=job.task.module_path).order_by("enqueued_at"))


@pytest.fixture
def database_tasks(settings: Any) -> None:
    """Tasks go to the database backend (the default outside tests), run by the worker."""
    settings.TASKS = DATABASE_BACKEND


def log_an_access() -> None:
    access_record(
        actor=Actor.system("test"),
        subject="s1",
        categories=["user.contact.email"],
        purpose="customer_support",
        action="read",
    )


@pytest.mark.django_db(transaction=True)  # the worker takes SQLite's lock with BEGIN EXCLUSIVE
def test_a_worker_pass_enqueues_the_jobs_and_seals_the_access_log(database_tasks: None) -> None:
    log_an_access()
    log_an_access()
    assert not AuditCheckpoint.objects.exists()

    call_command("tutela_worker", "--once")

    checkpoint = AuditCheckpoint.objects.get()
    assert checkpoint.tree_size == 2
    seal = DBTaskResult.objects.get(task_path="tutela.audit.tasks.audit_seal_task")
    assert seal.status == TaskResultStatus.SUCCESSFUL and seal.return_value == 2
    truncate = DBTaskResult.objects.get(task_path="tutela.visits.tasks.visits_truncate_task")
    assert truncate.status == TaskResultStatus.SUCCESSFUL
    # Every declared job was enqueued for its slot, and the worker left nothing waiting.
    states = {s.job: s for s in PeriodicJobState.objects.all()}
    assert set(states) == {job.name for job in schedule}
    assert str(seal.id) == states["audit_seal"].last_task_id
    assert not DBTaskResult.objects.ready().exists()


@pytest.mark.django_db
def test_with_a_backend_that_runs_tasks_itself_the_worker_only_enqueues() -> None:
    # The tests' ImmediateBackend stands for one with its own workers (Redis, for scale).
    log_an_access()
    call_command("tutela_worker", "--once")
    assert AuditCheckpoint.objects.get().tree_size == 1
    assert not DBTaskResult.objects.exists()
    assert PeriodicJobState.objects.filter(job="audit_seal", last_slot__isnull=False).exists()


@pytest.mark.django_db
def test_a_slot_is_enqueued_once_however_often_the_worker_asks(database_tasks: None) -> None:
    job = hourly("count")
    assert periodic_jobs_enqueue_due(now=T0, jobs=[job]).enqueued == [job]
    # A restart, or another worker, in the same slot: nothing more.
    assert periodic_jobs_enqueue_due(now=T0 + timedelta(minutes=59), jobs=[job]).enqueued == []
    assert periodic_job_enqueue(job=job, now=T0) is None
    # A clock that went back does not re-run an older slot.
    assert periodic_job_enqueue(job=job, now=T0 - timedelta(hours=3)) is None
    # The next slot runs again.
    assert periodic_jobs_enqueue_due(now=T0 + timedelta(hours=1), jobs=[job]).enqueued == [job]

    assert len(results_of(job)) == 2
    state = PeriodicJobState.objects.get(job="count")
    assert state.last_slot == T0 + timedelta(hours=1)
    assert state.last_task_id == str(results_of(job)[-1].id)


@pytest.mark.django_db(transaction=True)
def test_a_failing_job_is_logged_the_worker_goes_on_and_the_next_slot_tries_again(
    database_tasks: None, caplog: pytest.LogCaptureFixture
) -> None:
    failing, healthy = hourly("failing", always_fails), hourly("healthy")

    worker_run(once=True, jobs=[failing, healthy])

    [failed] = results_of(failing)
    assert failed.status == TaskResultStatus.FAILED
    assert failed.exception_class_path == "builtins.RuntimeError"
    assert "the mail server is away" in failed.traceback
    assert [r.status for r in results_of(healthy)] == [TaskResultStatus.SUCCESSFUL]
    assert any(
        r.levelname == "ERROR" and "tutela.core.tests.test_worker.always_fails" in r.getMessage()
        for r in caplog.records
    )
    # Not retried within its slot; the next slot enqueues it again.
    now = timezone.now()
    assert periodic_job_enqueue(job=failing, now=now) is None
    assert periodic_job_enqueue(job=failing, now=now + timedelta(hours=1)) is not None


@pytest.mark.django_db
def test_a_job_that_cannot_be_enqueued_is_logged_and_left_due(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # A backend that accepts no queue we use: enqueueing fails, as with a broker that is away.
    settings.TASKS = {"default": {**DATABASE_BACKEND["default"], "QUEUES": ["elsewhere"]}}
    job = hourly("count")
    outcome = periodic_jobs_enqueue_due(now=T0, jobs=[job])
    assert outcome.failed == [job] and outcome.enqueued == []
    assert "periodic job count: could not enqueue it" in caplog.text
    assert PeriodicJobState.objects.get(job="count").last_slot is None
    settings.TASKS = DATABASE_BACKEND
    assert periodic_jobs_enqueue_due(now=T0, jobs=[job]).enqueued == [job]


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_a_slot_enqueue_it_once(database_tasks: None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: SQLite lets one writer in at a time (Tutela opens its "
            "transactions IMMEDIATE), so two workers cannot race for a slot there"
        )
    job = hourly("count")
    rounds = 5
    barrier = threading.Barrier(2)
    won: list[TaskResult[Any]] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for round_ in range(rounds):
                barrier.wait(timeout=10)
                result = periodic_job_enqueue(job=job, now=T0 + timedelta(hours=round_))
                if result is not None:
                    won.append(result)
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(won) == rounds  # one winner per slot
    assert len(results_of(job)) == rounds
    assert PeriodicJobState.objects.get(job="count").last_slot == T0 + timedelta(hours=rounds - 1)


def test_the_command_refuses_a_bad_interval() -> None:
    with pytest.raises(CommandError, match=r"--interval: '0': give between 0.1 and 60 seconds"):
        call_command("tutela_worker", "--once", "--interval=0")
