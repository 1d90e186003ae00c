"""The deadline clock (R11): 28 days from receipt, paused while waiting for the person, extended
by up to two months within the first period. Time is passed in (`now=`), never mocked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tutela.rights.clock import (
    MAX_EXTENSION_MONTHS,
    Clock,
    ClockError,
    ClockState,
    add_months,
    days_left,
)

RECEIVED = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
DAY = timedelta(days=1)
PERIOD = timedelta(days=28)


def clock(**overrides: object) -> Clock:
    return Clock(received_at=RECEIVED, period=PERIOD, **overrides)  # type: ignore[arg-type]


# --- frozen-clock cases ------------------------------------------------------------------------


def test_the_deadline_is_28_days_after_receipt_and_time_left_counts_down() -> None:
    c = clock()
    assert c.due_at(now=RECEIVED) == datetime(2026, 3, 30, 9, 30, tzinfo=UTC)
    assert c.time_left(now=RECEIVED + 10 * DAY) == 18 * DAY
    assert c.state(now=RECEIVED + 10 * DAY) is ClockState.ON_TIME


def test_due_soon_within_seven_days_then_overdue_after_the_deadline() -> None:
    c = clock()
    assert c.state(now=RECEIVED + 20 * DAY) is ClockState.ON_TIME  # 8 days left
    assert c.state(now=RECEIVED + 21 * DAY) is ClockState.DUE_SOON  # 7 days left
    assert c.state(now=RECEIVED + 28 * DAY) is ClockState.DUE_SOON  # the very moment it is due
    late = RECEIVED + 28 * DAY + timedelta(seconds=1)
    assert c.state(now=late) is ClockState.OVERDUE and c.is_overdue(now=late)
    assert days_left(c.time_left(now=late)) == -1


def test_a_pause_for_identity_verification_does_not_count() -> None:
    """Received on 2 March, identity proved 5 days later: due 5 days after the plain deadline."""
    c = clock().paused(at=RECEIVED)
    during = RECEIVED + 3 * DAY
    assert c.state(now=during) is ClockState.PAUSED
    assert c.time_left(now=during) == PERIOD  # nothing counted yet
    c = c.resumed(at=RECEIVED + 5 * DAY)
    assert c.due_at(now=RECEIVED + 6 * DAY) == RECEIVED + 33 * DAY
    assert c.time_left(now=RECEIVED + 6 * DAY) == 27 * DAY


def test_time_left_is_frozen_while_waiting_for_clarification_and_resumes_where_it_stopped() -> None:
    c = clock().paused(at=RECEIVED + 10 * DAY)
    assert c.time_left(now=RECEIVED + 11 * DAY) == 18 * DAY
    assert c.time_left(now=RECEIVED + 40 * DAY) == 18 * DAY  # waiting weeks costs nothing
    assert not c.is_due_soon(now=RECEIVED + 40 * DAY)
    c = c.resumed(at=RECEIVED + 40 * DAY)
    assert c.time_left(now=RECEIVED + 41 * DAY) == 17 * DAY
    assert c.due_at(now=RECEIVED + 41 * DAY) == RECEIVED + 58 * DAY


def test_several_pauses_add_up() -> None:
    c = (
        clock()
        .paused(at=RECEIVED)
        .resumed(at=RECEIVED + 2 * DAY)
        .paused(at=RECEIVED + 10 * DAY)
        .resumed(at=RECEIVED + 13 * DAY)
    )
    assert c.paused_total == 5 * DAY
    assert c.due_at(now=RECEIVED + 20 * DAY) == RECEIVED + 33 * DAY


def test_an_extension_adds_calendar_months_after_the_first_period() -> None:
    """Art. 12(3): two further months; due 30 March becomes 30 May."""
    c = clock().extended(months=2, at=RECEIVED + 20 * DAY)
    assert c.due_at(now=RECEIVED + 20 * DAY) == datetime(2026, 5, 30, 9, 30, tzinfo=UTC)
    assert c.first_period_end(now=RECEIVED + 20 * DAY) == RECEIVED + PERIOD
    assert c.state(now=RECEIVED + 30 * DAY) is ClockState.ON_TIME  # past 28 days, still on time


def test_an_extension_and_a_pause_combine() -> None:
    c = clock().extended(months=1, at=RECEIVED + DAY).paused(at=RECEIVED + 2 * DAY)
    c = c.resumed(at=RECEIVED + 6 * DAY)
    assert c.due_at(now=RECEIVED + 7 * DAY) == datetime(2026, 4, 30, 9, 30, tzinfo=UTC) + 4 * DAY


def test_an_extension_after_the_first_period_is_refused() -> None:
    """The person must be told within the first period (Art. 12(3))."""
    with pytest.raises(ClockError, match="within the first period"):
        clock().extended(months=1, at=RECEIVED + 28 * DAY + timedelta(minutes=1))
    # A pause lengthens the first period too.
    c = clock().paused(at=RECEIVED + DAY).resumed(at=RECEIVED + 11 * DAY)
    assert c.extended(months=1, at=RECEIVED + 30 * DAY).extension_months == 1


def test_extensions_are_two_months_at_most_in_all() -> None:
    c = clock().extended(months=1, at=RECEIVED)
    c = c.extended(months=1, at=RECEIVED + DAY)
    assert c.extension_months == MAX_EXTENSION_MONTHS
    with pytest.raises(ClockError, match="2 further months at most"):
        c.extended(months=1, at=RECEIVED + 2 * DAY)
    with pytest.raises(ClockError, match="at least one month"):
        clock().extended(months=0, at=RECEIVED)


def test_pausing_twice_resuming_a_running_clock_or_pausing_when_late_are_refused() -> None:
    with pytest.raises(ClockError, match="already paused"):
        clock().paused(at=RECEIVED).paused(at=RECEIVED + DAY)
    with pytest.raises(ClockError, match="not paused"):
        clock().resumed(at=RECEIVED)
    with pytest.raises(ClockError, match="before it began"):
        clock().paused(at=RECEIVED + 2 * DAY).resumed(at=RECEIVED + DAY)
    with pytest.raises(ClockError, match="before the request was received"):
        clock().paused(at=RECEIVED - DAY)
    with pytest.raises(ClockError, match="deadline has passed"):
        clock().paused(at=RECEIVED + 29 * DAY)


def test_a_stopped_clock_reads_as_it_stood_when_answered() -> None:
    on_time = clock().stopped(at=RECEIVED + 20 * DAY)
    assert on_time.state(now=RECEIVED + 100 * DAY) is ClockState.STOPPED
    assert on_time.time_left(now=RECEIVED + 100 * DAY) == 8 * DAY
    late = clock().stopped(at=RECEIVED + 30 * DAY)
    assert late.is_overdue(now=RECEIVED + 100 * DAY)
    # Answering while paused ends the pause at that moment.
    paused = clock().paused(at=RECEIVED).stopped(at=RECEIVED + 3 * DAY)
    assert paused.paused_total == 3 * DAY and not paused.is_paused
    with pytest.raises(ClockError, match="answered"):
        on_time.paused(at=RECEIVED + 21 * DAY)


def test_add_months_keeps_the_day_or_takes_the_last_day_of_a_shorter_month() -> None:
    assert add_months(datetime(2026, 1, 31, 12, tzinfo=UTC), 1) == datetime(
        2026, 2, 28, 12, tzinfo=UTC
    )
    assert add_months(datetime(2028, 1, 31, tzinfo=UTC), 1) == datetime(2028, 2, 29, tzinfo=UTC)
    assert add_months(datetime(2026, 11, 15, tzinfo=UTC), 2) == datetime(2027, 1, 15, tzinfo=UTC)
    with pytest.raises(ValueError, match="negative"):
        add_months(RECEIVED, -1)


# --- properties --------------------------------------------------------------------------------

moments = st.integers(min_value=0, max_value=200 * 24 * 3600).map(
    lambda seconds: RECEIVED + timedelta(seconds=seconds)
)
gaps = st.lists(st.integers(min_value=0, max_value=20 * 24 * 3600), min_size=0, max_size=12)


def _build(gap_seconds: list[int]) -> tuple[Clock, list[tuple[datetime, datetime | None]]]:
    """Alternate pause and resume at increasing times; also return the intervals (reference)."""
    c = clock()
    at = RECEIVED
    intervals: list[tuple[datetime, datetime | None]] = []
    for gap in gap_seconds:
        at += timedelta(seconds=gap)
        if c.is_paused:
            c = c.resumed(at=at)
            intervals[-1] = (intervals[-1][0], at)
        elif not c.is_overdue(now=at):
            c = c.paused(at=at)
            intervals.append((at, None))
    return c, intervals


def _running_time(intervals: list[tuple[datetime, datetime | None]], now: datetime) -> timedelta:
    """Reference: the time the clock ran between receipt and `now`, by subtraction."""
    paused = timedelta(0)
    for start, end in intervals:
        stop = min(end or now, now)
        if stop > start:
            paused += stop - start
    return (now - RECEIVED) - paused


@given(gaps, st.integers(min_value=0, max_value=60 * 24 * 3600))
def test_paused_time_never_counts(gap_seconds: list[int], later: int) -> None:
    """time left = period - time the clock ran, for any sequence of pauses and resumptions."""
    c, intervals = _build(gap_seconds)
    last = intervals[-1][1] or intervals[-1][0] if intervals else RECEIVED
    now = last + timedelta(seconds=later)
    assert c.time_left(now=now) == PERIOD - _running_time(intervals, now)


@given(gaps, moments, moments)
def test_the_deadline_never_moves_earlier_as_time_passes(
    gap_seconds: list[int], a: datetime, b: datetime
) -> None:
    c, intervals = _build(gap_seconds)
    start = intervals[-1][1] or intervals[-1][0] if intervals else RECEIVED
    early, late = sorted((max(a, start), max(b, start)))
    assert c.due_at(now=early) <= c.due_at(now=late)
    assert c.time_left(now=early) >= c.time_left(now=late)


@given(gaps, st.integers(min_value=0, max_value=10**7))
def test_while_paused_time_left_stays_constant(gap_seconds: list[int], wait: int) -> None:
    c, intervals = _build(gap_seconds)
    if not c.is_paused:
        last = intervals[-1][1] if intervals else RECEIVED
        assert last is not None
        if c.is_overdue(now=last):
            return  # a late request cannot be paused (tested above)
        c = c.paused(at=last)
    start = c.paused_since
    assert start is not None
    assert c.time_left(now=start) == c.time_left(now=start + timedelta(seconds=wait))
    assert c.state(now=start + timedelta(seconds=wait)) is ClockState.PAUSED


@given(moments, st.integers(min_value=1, max_value=MAX_EXTENSION_MONTHS))
def test_an_extension_adds_between_28_and_62_days_per_the_calendar(
    at: datetime, months: int
) -> None:
    c = clock()
    if at > c.first_period_end(now=at):
        return
    extended = c.extended(months=months, at=at)
    added = extended.due_at(now=at) - c.due_at(now=at)
    assert 28 * months * DAY <= added <= 31 * months * DAY


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    st.integers(min_value=0, max_value=36),
)
def test_add_months_lands_in_the_right_month_with_a_day_no_later(
    moment: datetime, months: int
) -> None:
    result = add_months(moment, months)
    assert (result.year * 12 + result.month) - (moment.year * 12 + moment.month) == months
    assert result.day <= moment.day
    assert result.time() == moment.time() and result.tzinfo is moment.tzinfo


@given(gaps, moments)
def test_state_is_consistent_with_time_left(gap_seconds: list[int], now: datetime) -> None:
    c, intervals = _build(gap_seconds)
    start = intervals[-1][1] or intervals[-1][0] if intervals else RECEIVED
    now = max(now, start)
    state = c.state(now=now)
    left = c.time_left(now=now)
    if c.is_paused:
        assert state is ClockState.PAUSED
    elif left < timedelta(0):
        assert state is ClockState.OVERDUE
    elif left <= 7 * DAY:
        assert state is ClockState.DUE_SOON
    else:
        assert state is ClockState.ON_TIME
