"""The deadline clock of a rights request: pure arithmetic, no database, no hidden "now" (R11).

    clock = Clock(received_at=received, period=timedelta(days=28))
    clock = clock.paused(at=asked_for_id).resumed(at=id_confirmed)
    clock.time_left(now=now), clock.state(now=now)

The period runs from receipt (the policy: 28 days for access, read from the policy file by the
caller). Time while the clock is paused does not count: waiting for the person to prove who they
are, to clarify what they want, or to pay a fee (UK GDPR Art. 12(3) as amended by the Data (Use
and Access) Act 2025, "stop the clock"); it runs again from where it stopped when they answer.
An extension adds up to two further calendar months (Art. 12(3)), decided within the first
period; the reason is recorded and told to the person by the caller.

Every function takes `now` (or `at`) explicitly, so tests pin time without mocking the clock.
Datetimes are compared as given: callers pass timezone-aware values (Django's, in UTC).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

# Art. 12(3): "may be extended by two further months where necessary".
MAX_EXTENSION_MONTHS = 2
# A running request with this little time left is shown as due soon and put in the reminder.
DUE_SOON = timedelta(days=7)
_ZERO = timedelta(0)


class ClockError(ValueError):
    """An operation the clock's rules do not allow (a pause while paused, a late extension)."""


class ClockState(StrEnum):
    """Where a request stands against its deadline, most urgent last but one."""

    STOPPED = "stopped"  # answered (done or refused): the clock no longer runs
    PAUSED = "paused"  # waiting for the person: identity, clarification or a fee
    ON_TIME = "on_time"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months later, on the month's last day if the day
    does not exist there (31 January + 1 month = 28 or 29 February)."""
    if months < 0:
        raise ValueError("months must not be negative")
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


@dataclass(frozen=True)
class Clock:
    """A request's clock: when it was received, its period, its pauses and any extension."""

    received_at: datetime
    period: timedelta
    # The total length of the pauses that have ended.
    paused_total: timedelta = _ZERO
    # When the current pause began; None while the clock runs.
    paused_since: datetime | None = None
    extension_months: int = 0
    # When the request was answered (done or refused); the clock reads as of that moment.
    stopped_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.period <= _ZERO:
            raise ClockError("the period must be positive")
        if self.paused_total < _ZERO:
            raise ClockError("paused time cannot be negative")
        if self.paused_since is not None and self.paused_since < self.received_at:
            raise ClockError("a pause cannot begin before the request was received")
        if not 0 <= self.extension_months <= MAX_EXTENSION_MONTHS:
            raise ClockError(f"an extension is 0 to {MAX_EXTENSION_MONTHS} months")

    # --- changes (each returns a new clock) -------------------------------------------------

    @property
    def is_paused(self) -> bool:
        """Waiting for the person."""
        return self.paused_since is not None

    @property
    def is_stopped(self) -> bool:
        """Answered: done or refused."""
        return self.stopped_at is not None

    def paused(self, *, at: datetime) -> Clock:
        """Stop counting from `at` (no earlier than receipt)."""
        self._check_open("pause")
        if self.is_paused:
            raise ClockError("the clock is already paused")
        if at < self.received_at:
            raise ClockError("a pause cannot begin before the request was received")
        if self.is_overdue(now=at):
            # Waiting for the person stops the clock only while there is time left: a late
            # answer stays late.
            raise ClockError("the deadline has passed; the clock can no longer be paused")
        return replace(self, paused_since=at)

    def resumed(self, *, at: datetime) -> Clock:
        """Count again from `at`; the paused stretch is added to the deadline."""
        self._check_open("resume")
        if self.paused_since is None:
            raise ClockError("the clock is not paused")
        if at < self.paused_since:
            raise ClockError("a pause cannot end before it began")
        return replace(
            self, paused_since=None, paused_total=self.paused_total + at - self.paused_since
        )

    def extended(self, *, months: int, at: datetime) -> Clock:
        """Add `months` further months; only within the first period, and two months at most."""
        self._check_open("extend")
        if months < 1:
            raise ClockError("an extension is at least one month")
        if self.extension_months + months > MAX_EXTENSION_MONTHS:
            raise ClockError(
                f"the deadline can be extended by {MAX_EXTENSION_MONTHS} further months at most "
                f"(already extended by {self.extension_months})"
            )
        if at > self.first_period_end(now=at):
            raise ClockError(
                "an extension must be decided and told to the person within the first period, "
                "which has ended"
            )
        return replace(self, extension_months=self.extension_months + months)

    def stopped(self, *, at: datetime) -> Clock:
        """The request was answered at `at`; a pause in course ends there."""
        self._check_open("stop")
        clock = self.resumed(at=at) if self.is_paused else self
        return replace(clock, stopped_at=at)

    def _check_open(self, what: str) -> None:
        if self.is_stopped:
            raise ClockError(f"cannot {what}: the request has been answered")

    # --- readings --------------------------------------------------------------------------

    def paused_for(self, *, now: datetime) -> timedelta:
        """All the time the clock has been paused, as of `now`."""
        now = self._as_of(now)
        current = max(now - self.paused_since, _ZERO) if self.paused_since is not None else _ZERO
        return self.paused_total + current

    def first_period_end(self, *, now: datetime) -> datetime:
        """The deadline without any extension: receipt + period + time paused."""
        return self.received_at + self.period + self.paused_for(now=now)

    def due_at(self, *, now: datetime) -> datetime:
        """The deadline as of `now`; it moves later while the clock is paused."""
        extended = add_months(self.received_at + self.period, self.extension_months)
        return extended + self.paused_for(now=now)

    def time_left(self, *, now: datetime) -> timedelta:
        """Time until the deadline (negative once overdue); constant while paused or stopped."""
        return self.due_at(now=now) - self._as_of(now)

    def is_overdue(self, *, now: datetime) -> bool:
        """The deadline has passed and the request is still open (or was answered late)."""
        return self.time_left(now=now) < _ZERO

    def is_due_soon(self, *, now: datetime, within: timedelta = DUE_SOON) -> bool:
        """Running, not overdue, and at most `within` left."""
        if self.is_paused or self.is_stopped:
            return False
        return _ZERO <= self.time_left(now=now) <= within

    def state(self, *, now: datetime, within: timedelta = DUE_SOON) -> ClockState:
        """One word for the queue: stopped, paused, overdue, due soon or on time."""
        if self.is_stopped:
            return ClockState.STOPPED
        if self.is_paused:
            return ClockState.PAUSED
        if self.is_overdue(now=now):
            return ClockState.OVERDUE
        if self.is_due_soon(now=now, within=within):
            return ClockState.DUE_SOON
        return ClockState.ON_TIME

    def _as_of(self, now: datetime) -> datetime:
        # A stopped clock reads as it stood when the request was answered.
        return self.stopped_at if self.stopped_at is not None else now


def days_left(left: timedelta) -> int:
    """Whole days left, rounded down (-1 as soon as the deadline has passed): what people read."""
    return left // timedelta(days=1)


def days_overdue(left: timedelta) -> int:
    """Whole days since the deadline passed (0 on the day it passed, and before)."""
    return max(-left // timedelta(days=1), 0)
