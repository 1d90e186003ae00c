"""Periodic jobs: a registry where apps declare them, and the slot arithmetic that says when.

Hand-written because django-tasks (the Tasks API backport) has no scheduler: it runs what is
enqueued and nothing else. (A third-party django-periodic-tasks 0.2 exists; a young package for
something this small, so not taken on.) This module only declares and computes; enqueueing a
due job once per slot (even with several workers) is
`tutela.core.services.periodic_jobs_enqueue_due`, and `manage.py tutela_worker` calls it between
tasks.

Apps declare their jobs in a `jobs.py` module, imported by `autodiscover()` when the project
starts (tutela.core's AppConfig.ready), so the layers stay as DESIGN.md draws them: core never
imports the apps, the apps import this registry:

    schedule.register("audit_seal", task=audit_seal_task, every=timedelta(minutes=5))
    schedule.register("visits_truncate", task=visits_truncate_task, daily_at=time(3, 15))

A slot is the interval a run belongs to: the `every` intervals counted from the Unix epoch, or
the day from one `daily_at` time (in settings.TIME_ZONE, so it stays 03:15 across summer time)
to the next. A job is due when its current slot has not been enqueued yet. A worker that was
stopped for a while runs each job once when it starts, for the current slot only: every job
is idempotent and catches up by itself (a sweep finds everything past its cut-off).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django_tasks import TaskResult
from django_tasks.base import Task

_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The worker looks for due jobs every few seconds; a shorter interval is a loop, not a schedule.
MIN_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class PeriodicJob:
    """A task enqueued once per slot: every `every`, or daily at `daily_at` (local time)."""

    name: str
    task: Task[Any, Any]
    every: timedelta | None = None
    daily_at: time | None = None
    args: tuple[Any, ...] = ()

    def slot_at(self, now: datetime, *, tz: tzinfo | None = None) -> datetime:
        """The start (in UTC) of the slot `now` falls in; `tz` defaults to settings.TIME_ZONE."""
        if timezone.is_naive(now):
            raise ValueError(f"periodic job {self.name}: now={now!r} must be an aware datetime")
        if self.every is not None:
            return _EPOCH + ((now - _EPOCH) // self.every) * self.every
        if self.daily_at is None:  # register() refuses such a job; built by hand, say so
            raise ValueError(f"periodic job {self.name}: give every= or daily_at=")
        zone = tz or timezone.get_default_timezone()
        today = now.astimezone(zone).date()
        # Compared in UTC: aware datetimes sharing a tzinfo compare by wall clock, not instant.
        start = datetime.combine(today, self.daily_at, tzinfo=zone).astimezone(UTC)
        if start > now.astimezone(UTC):
            yesterday = today - timedelta(days=1)
            start = datetime.combine(yesterday, self.daily_at, tzinfo=zone).astimezone(UTC)
        return start

    def is_due(self, last_slot: datetime | None, now: datetime) -> bool:
        """Whether the slot of `now` is later than the last one enqueued."""
        return last_slot is None or last_slot < self.slot_at(now)

    def enqueue(self) -> TaskResult[Any]:
        """Enqueue the job's task with its arguments on the task backend."""
        return self.task.enqueue(*self.args)

    def __str__(self) -> str:
        if self.every is not None:
            return f"{self.name} every {_duration(self.every)}"
        return f"{self.name} daily at {self.daily_at:%H:%M} ({timezone.get_default_timezone()})"


def _duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


class Schedule:
    """The registry of periodic jobs; refuses a bad declaration with what to change."""

    def __init__(self) -> None:
        self._jobs: dict[str, PeriodicJob] = {}

    def register(
        self,
        name: str,
        *,
        task: Task[Any, Any],
        every: timedelta | None = None,
        daily_at: time | None = None,
        args: tuple[Any, ...] = (),
    ) -> PeriodicJob:
        """Declare a job; raises ImproperlyConfigured naming the job and what is wrong."""
        where = f"periodic job {name!r}"
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ImproperlyConfigured(
                f"{where}: a job name is lower-case letters, digits and _ (at most 64)"
            )
        if name in self._jobs:
            raise ImproperlyConfigured(
                f"{where} is declared twice (first for {self._jobs[name].task.module_path}); "
                "job names must be unique"
            )
        if not isinstance(task, Task):
            raise ImproperlyConfigured(
                f"{where}: task={task!r} is not a task; decorate the function with "
                "django_tasks.task()"
            )
        if (every is None) == (daily_at is None):
            raise ImproperlyConfigured(f"{where}: give exactly one of every= or daily_at=")
        if every is not None:
            _check_interval(where, every)
        if daily_at is not None:
            _check_daily_time(where, daily_at)
        try:
            json.dumps(list(args))
        except (TypeError, ValueError):
            raise ImproperlyConfigured(
                f"{where}: args={args!r} must be JSON values (the task backend stores them)"
            ) from None
        job = PeriodicJob(name=name, task=task, every=every, daily_at=daily_at, args=tuple(args))
        self._jobs[name] = job
        return job

    def register_command(
        self, command: str, *, every: timedelta | None = None, daily_at: time | None = None
    ) -> PeriodicJob:
        """Declare a job that runs a management command (by name) through the task backend."""
        from django.core.management import get_commands

        from tutela.core.tasks import run_command

        if command not in get_commands():
            raise ImproperlyConfigured(
                f"periodic job {command!r}: there is no management command {command!r}"
            )
        return self.register(command, task=run_command, every=every, daily_at=daily_at,
                             args=(command,))  # fmt: skip

    def register_commands(self, commands: Mapping[str, Any], *, setting: str) -> None:
        """Declare command jobs from a setting: {command: {"every": ...} or {"daily_at": ...}}."""
        for command, when in commands.items():
            if not isinstance(when, Mapping) or not when or set(when) - {"every", "daily_at"}:
                raise ImproperlyConfigured(
                    f"{setting}[{command!r}]={when!r}: expected "
                    '{"every": timedelta(...)} or {"daily_at": time(...)}'
                )
            self.register_command(command, **when)

    def get(self, name: str) -> PeriodicJob:
        """The job declared under `name` (KeyError if none)."""
        return self._jobs[name]

    def __iter__(self) -> Iterator[PeriodicJob]:
        return iter(sorted(self._jobs.values(), key=lambda job: job.name))

    def __len__(self) -> int:
        return len(self._jobs)


def _check_interval(where: str, every: Any) -> None:
    if not isinstance(every, timedelta):
        raise ImproperlyConfigured(
            f"{where}: every={every!r} must be a datetime.timedelta, e.g. timedelta(minutes=5)"
        )
    if every < MIN_INTERVAL:
        raise ImproperlyConfigured(f"{where}: every={every} is shorter than {MIN_INTERVAL}")
    if every % timedelta(seconds=1):
        raise ImproperlyConfigured(f"{where}: every={every} must be a whole number of seconds")


def _check_daily_time(where: str, daily_at: Any) -> None:
    if not isinstance(daily_at, time):
        raise ImproperlyConfigured(
            f"{where}: daily_at={daily_at!r} must be a datetime.time, e.g. time(3, 15)"
        )
    if daily_at.tzinfo is not None:
        raise ImproperlyConfigured(
            f"{where}: daily_at={daily_at} must be a local time without a time zone "
            "(it is read in settings.TIME_ZONE)"
        )


# The project's schedule, filled by the apps' jobs.py modules.
schedule = Schedule()


def autodiscover() -> None:
    """Import every installed app's `jobs` module, so each declares its periodic jobs."""
    autodiscover_modules("jobs")
