"""Counting visits in memory and writing them in batches: what the security log costs a request.

The choice, and the ones we turned down:
- a row per request: a busy site, or an attack, would write as many rows as it serves pages;
- an upsert per request: still one write per page, and on SQLite every write is serialised;
- counters in the cache, flushed by a job: the embedded default's local-memory cache belongs to
  one process, so no job could read it, and with Redis each request would pay a round trip.

So each process counts in a dict (a lock-protected increment, no I/O), keyed by (address,
subject, part of the site, hour), and writes what it counted every TUTELA_VISITS_FLUSH_SECONDS,
or as soon as MAX_PENDING keys are waiting (which bounds memory under a flood of addresses), in
one short transaction (`services.visits_record`). Processes add their counts to the same
hourly rows, so any number of web workers share one log.

The price: a process that dies without warning loses the counts of its last interval. Sign-in
events, which matter most, are written at once by accounts (SecurityEvent, R2).
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import time
import uuid
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError
from django.urls import URLResolver, get_resolver

from tutela.visits.services import Tally, VisitKey, visits_record

logger = logging.getLogger(__name__)

# Distinct (address, subject, part, hour) keys a process holds before it writes regardless of
# the interval: about 2 MB, and one bulk statement of that many rows.
MAX_PENDING = 10_000

_SEGMENT = re.compile(r"^[a-z0-9_-]{1,32}$")


class VisitRecorder:
    """Per-process counts of visits, written to the database in batches."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[VisitKey, Tally] = {}
        self._last_write = time.monotonic()

    def note(
        self,
        *,
        ip: str,
        subject_id: uuid.UUID | None,
        path_group: str,
        rejected: bool,
        now: datetime,
    ) -> None:
        """Count one request; write the batch if the interval has passed or the batch is full."""
        key = (ip, subject_id, path_group, now.replace(minute=0, second=0, microsecond=0))
        with self._lock:
            tally = self._pending.get(key)
            if tally is None:
                self._pending[key] = Tally(1, int(rejected), now, now)
            else:
                tally.requests += 1
                tally.rejected += int(rejected)
                tally.last_seen = max(tally.last_seen, now)
            due = (
                len(self._pending) >= MAX_PENDING
                or time.monotonic() - self._last_write >= settings.TUTELA_VISITS_FLUSH_SECONDS
            )
        if due:
            self.flush()

    def take(self) -> dict[VisitKey, Tally]:
        """Hand over everything counted so far and start a new batch."""
        with self._lock:
            pending, self._pending = self._pending, {}
            self._last_write = time.monotonic()
        return pending

    def flush(self) -> int:
        """Write the counts held so far; returns the number of keys written.

        A database failure is logged and the batch dropped: the page being served must not
        fail because its visit could not be counted.
        """
        pending = self.take()
        if not pending:
            return 0
        try:
            visits_record(tallies=pending)
        except DatabaseError:
            logger.exception("visits: could not write %d counted keys; dropped", len(pending))
            return 0
        return len(pending)

    def discard(self) -> None:
        """Forget everything counted and not yet written (tests start from nothing)."""
        self.take()


recorder = VisitRecorder()


@functools.lru_cache(maxsize=8)
def _site_parts(urlconf: str) -> frozenset[str]:
    """The first path segments the URL configuration serves (the include at "" one level in)."""
    parts: set[str] = set()
    for pattern in get_resolver(urlconf).url_patterns:
        route = str(pattern.pattern)
        if route == "" and isinstance(pattern, URLResolver):
            routes = [str(inner.pattern) for inner in pattern.url_patterns]
        else:
            routes = [route]
        for inner_route in routes:
            first = inner_route.split("/", 1)[0]
            if _SEGMENT.match(first):
                parts.add(first)
    return frozenset(parts)


def path_group(path: str) -> str:
    """The part of the site a path belongs to: "home", a top-level URL prefix, or "other".

    A closed list, so that whatever a scanner asks for (/wp-admin.php, a path with an email in
    it) is stored as "other" and never as typed.
    """
    first = path.lstrip("/").split("/", 1)[0]
    if not first:
        return "home"
    return first if first in _site_parts(settings.ROOT_URLCONF) else "other"
