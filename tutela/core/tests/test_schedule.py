"""The registry of periodic jobs refuses bad declarations; slots are computed from `now`."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django_tasks import task

from tutela.core.schedule import PeriodicJob, Schedule, schedule

LONDON = ZoneInfo("Europe/London")


@task()
def noop() -> None:
    """A task that does nothing, to declare jobs with."""


def job(**kwargs: Any) -> PeriodicJob:
    return Schedule().register("job", task=noop, **kwargs)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
        microsecond: int = 0) -> datetime:  # fmt: skip
    return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=UTC)


# --- Declarations -------------------------------------------------------------------------------


def test_a_job_name_is_declared_once() -> None:
    registry = Schedule()
    registry.register("audit_seal", task=noop, every=timedelta(minutes=5))
    with pytest.raises(ImproperlyConfigured, match=r"'audit_seal' is declared twice .*unique"):
        registry.register("audit_seal", task=noop, daily_at=time(3, 0))
    assert len(registry) == 1


@pytest.mark.parametrize(
    ("every", "message"),
    [
        (timedelta(0), r"every=0:00:00 is shorter than 0:01:00"),
        (timedelta(minutes=-5), r"every=-1 day, 23:55:00 is shorter than 0:01:00"),
        (timedelta(seconds=30), r"every=0:00:30 is shorter than 0:01:00"),
        (timedelta(minutes=1, microseconds=500), r"every=0:01:00.000500 must be a whole number"),
        (300, r"every=300 must be a datetime.timedelta"),
    ],
)
def test_a_bad_interval_is_refused_with_the_reason(every: Any, message: str) -> None:
    registry = Schedule()
    with pytest.raises(ImproperlyConfigured, match=rf"periodic job 'job': {message}"):
        registry.register("job", task=noop, every=every)
    assert len(registry) == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, r"give exactly one of every= or daily_at="),
        ({"every": timedelta(hours=1), "daily_at": time(3)}, r"exactly one of every= or daily_at"),
        ({"daily_at": "03:15"}, r"daily_at='03:15' must be a datetime.time"),
        ({"daily_at": time(3, 15, tzinfo=UTC)}, r"local time without a time zone"),
        ({"every": timedelta(hours=1), "args": (object(),)}, r"args=.* must be JSON values"),
    ],
)
def test_other_bad_declarations_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        Schedule().register("job", task=noop, **kwargs)


def test_a_name_and_a_task_are_checked() -> None:
    with pytest.raises(ImproperlyConfigured, match=r"'Audit seal': a job name is lower-case"):
        Schedule().register("Audit seal", task=noop, every=timedelta(hours=1))
    with pytest.raises(ImproperlyConfigured, match=r"is not a task; decorate the function"):
        Schedule().register("job", task=noop.func, every=timedelta(hours=1))  # type: ignore[arg-type]


def test_a_command_job_needs_an_existing_command() -> None:
    registry = Schedule()
    with pytest.raises(ImproperlyConfigured, match=r"there is no management command 'no_such'"):
        registry.register_command("no_such", daily_at=time(3))
    command = registry.register_command("visits_truncate", daily_at=time(3))
    assert command.args == ("visits_truncate",)
    with pytest.raises(ImproperlyConfigured, match=r"SETTING\['audit_seal'\]='hourly': expected"):
        registry.register_commands({"audit_seal": "hourly"}, setting="SETTING")
    with pytest.raises(ImproperlyConfigured, match=r"SETTING\['audit_seal'\]=\{'at'"):
        registry.register_commands({"audit_seal": {"at": time(3)}}, setting="SETTING")


def test_the_project_declares_its_jobs() -> None:
    jobs = {j.name: j for j in schedule}
    assert jobs["audit_seal"].every == timedelta(minutes=settings.TUTELA_AUDIT_SEAL_MINUTES)
    assert jobs["audit_seal"].task.module_path == "tutela.audit.tasks.audit_seal_task"
    assert jobs["visits_truncate"].daily_at == time(3, 15)
    assert jobs["task_results_prune"].daily_at == time(4, 0)
    assert jobs["dsr_remind"].args == ("dsr_remind",)
    assert str(jobs["visits_truncate"]) == "visits_truncate daily at 03:15 (Europe/London)"


# --- Slots --------------------------------------------------------------------------------------


def test_interval_slots_are_counted_from_the_epoch() -> None:
    every5 = job(every=timedelta(minutes=5))
    assert every5.slot_at(utc(2026, 6, 10, 12, 7, 30)) == utc(2026, 6, 10, 12, 5)
    assert every5.slot_at(utc(2026, 6, 10, 12, 5)) == utc(2026, 6, 10, 12, 5)
    assert every5.slot_at(utc(2026, 6, 10, 12, 4, 59, 999999)) == utc(2026, 6, 10, 12, 0)
    # The same instant in another zone is the same slot.
    plus2 = timezone(timedelta(hours=2))
    assert every5.slot_at(datetime(2026, 6, 10, 14, 7, tzinfo=plus2)) == utc(2026, 6, 10, 12, 5)


def test_a_daily_slot_starts_at_the_local_time_of_today_or_yesterday() -> None:
    daily = job(daily_at=time(3, 15))
    # Summer (BST, UTC+1): 03:15 in London is 02:15 UTC.
    assert daily.slot_at(utc(2026, 6, 10, 2, 14)) == utc(2026, 6, 9, 2, 15)
    assert daily.slot_at(utc(2026, 6, 10, 2, 15)) == utc(2026, 6, 10, 2, 15)
    assert daily.slot_at(utc(2026, 6, 10, 23, 59)) == utc(2026, 6, 10, 2, 15)
    # Winter (GMT): 03:15 UTC.
    assert daily.slot_at(utc(2026, 1, 10, 3, 0)) == utc(2026, 1, 9, 3, 15)
    assert daily.slot_at(utc(2026, 1, 10, 3, 15)) == utc(2026, 1, 10, 3, 15)


def test_a_daily_job_keeps_its_local_time_across_the_clock_changes() -> None:
    daily = job(daily_at=time(3, 15))
    spring = [daily.slot_at(utc(2026, 3, day, 12)) for day in (28, 29, 30)]
    assert [s.astimezone(LONDON).time() for s in spring] == [time(3, 15)] * 3
    assert spring[1] - spring[0] == timedelta(hours=23)  # clocks went forward on the 29th
    autumn = [daily.slot_at(utc(2026, 10, day, 12)) for day in (24, 25)]
    assert autumn[1] - autumn[0] == timedelta(hours=25)
    assert daily.slot_at(utc(2026, 1, 10, 3, 0), tz=ZoneInfo("America/New_York")) == utc(
        2026, 1, 9, 8, 15
    )


def test_a_job_is_due_until_its_slot_is_enqueued() -> None:
    hourly = job(every=timedelta(hours=1))
    now = utc(2026, 6, 10, 12, 30)
    assert hourly.is_due(None, now)
    assert hourly.is_due(utc(2026, 6, 10, 11), now)
    assert not hourly.is_due(utc(2026, 6, 10, 12), now)
    assert hourly.is_due(utc(2026, 6, 10, 12), now + timedelta(minutes=30))


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match=r"periodic job job: now=.* must be an aware datetime"):
        job(every=timedelta(hours=1)).slot_at(datetime(2026, 6, 10, 12))
