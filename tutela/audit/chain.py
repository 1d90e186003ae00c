"""Reading the chain back: stream events in order, recompute each hash, explain the first break.

Used by audit_verify (the whole log) and audit_seal (the events since the last checkpoint).
Memory stays constant: rows arrive in batches from a server-side cursor on PostgreSQL (SQLite
steps through its file), and only the last two hashes are kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.backends.base.base import BaseDatabaseWrapper

from tutela.audit.canonical import (
    GENESIS_HASH,
    LEAF_PREFIX,
    canonical_time,
    encode_record,
    encode_tail,
    event_hash,
    record_sql,
    renumbered,
)

BATCH_ROWS = 2_000
if TYPE_CHECKING:  # models imports this module's neighbours; import it lazily at run time
    from tutela.audit.models import AccessEvent

Row = tuple[int, bytes, bytes, bytes]  # sequence, canonical record, prev_hash, hash


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the log: its kind, the first bad event (if any) and why."""

    kind: str
    sequence: int | None
    message: str
    checkpoint: int | None = None  # tree size of the checkpoint concerned, if any


class ChainBroken(Exception):
    """The chain does not verify; sealing refuses to sign it."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def event_record(event: AccessEvent) -> bytes:
    """The canonical record of a stored event (docs/audit.md), built from its fields."""
    tail = encode_tail(
        occurred_at=canonical_time(event.occurred_at),
        actor_kind=event.actor_kind,
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        actor_role=event.actor_role,
        action=event.action,
        purpose=event.purpose,
        categories=event.categories,
        request_id=event.request_id,
        ip=event.ip,
        detail=event.detail,
    )
    return encode_record(event.sequence, event.subject, tail)


def python_rows(after: int, upto: int | None, batch_rows: int) -> Iterator[list[Row]]:
    """The rows with their records built in Python from the ORM (the reference, any database)."""
    from tutela.audit.models import AccessEvent

    events = AccessEvent.objects.filter(sequence__gt=after).order_by("sequence")
    if upto is not None:
        events = events.filter(sequence__lte=upto)
    batch: list[Row] = []
    for event in events.iterator(chunk_size=batch_rows):
        record = event_record(event)
        batch.append((event.sequence, record, bytes(event.prev_hash), bytes(event.hash)))
        if len(batch) >= batch_rows:
            yield batch
            batch = []
    if batch:
        yield batch


class ChainCursor:
    """Walks the events after `after` (whose hash is `last_hash`), checking every link."""

    def __init__(
        self,
        connection: BaseDatabaseWrapper,
        *,
        after: int = 0,
        last_hash: bytes = GENESIS_HASH,
        upto: int | None = None,
        batch_rows: int = BATCH_ROWS,
        reference: bool = False,
    ) -> None:
        self.connection = connection
        self.size = after  # events checked and found good so far
        self.last_hash = last_hash
        self.problem: Problem | None = None
        self._prev2: bytes | None = None  # hash of event size-1, when known
        self._upto = upto
        self._batch_rows = batch_rows
        self._record = None if reference else record_sql(connection.vendor)

    def _sql(self, *, limit_one: bool = False) -> str:
        # The record expression is ours (canonical.record_sql); values go as parameters.
        sql = (
            f"SELECT sequence, {self._record}, prev_hash, hash FROM audit_accessevent "  # noqa: S608
            "WHERE sequence > %s"
        )
        if self._upto is not None and not limit_one:
            sql += f" AND sequence <= {int(self._upto)}"
        return sql + " ORDER BY sequence" + (" LIMIT 1" if limit_one else "")

    def _sql_rows(self) -> Iterator[list[Row]]:
        with self.connection.chunked_cursor() as cursor:
            cursor.execute(self._sql(), [self.size])
            while rows := cursor.fetchmany(self._batch_rows):
                yield rows

    def _row_after(self, sequence: int) -> Row | None:
        if self._record is None:
            for batch in python_rows(sequence, None, 1):
                return batch[0]
            return None
        with self.connection.cursor() as cursor:
            cursor.execute(self._sql(limit_one=True), [sequence])
            row = cursor.fetchone()
        return None if row is None else (row[0], bytes(row[1]), bytes(row[2]), bytes(row[3]))

    def batches(self) -> Iterator[list[bytes]]:
        """Yield the hashes of good events, batch by batch; stop at the first bad one."""
        source = (
            self._sql_rows()
            if self._record is not None
            else python_rows(self.size, self._upto, self._batch_rows)
        )
        sha256 = hashlib.sha256
        for rows in source:
            expect, prev, prev2 = self.size + 1, self.last_hash, self._prev2
            leaves: list[bytes] = []
            append = leaves.append
            # The hot loop of audit_verify: one hash and three comparisons per event.
            for sequence, record, stored_prev, stored_hash in rows:
                if sequence != expect or stored_prev != prev:
                    break
                digest = sha256(LEAF_PREFIX + prev + record).digest()
                if digest != stored_hash:
                    break
                prev2, prev = prev, digest
                expect += 1
                append(digest)
            self.size, self.last_hash, self._prev2 = expect - 1, prev, prev2
            if len(leaves) < len(rows):
                bad = rows[len(leaves)]
                self.problem = self._diagnose((bad[0], bytes(bad[1]), bytes(bad[2]), bytes(bad[3])))
                yield leaves
                return
            yield leaves

    def missing_tail(self, expected_size: int) -> Problem:
        """The problem when the log ends before `expected_size` events."""
        first = self.size + 1
        span = (
            f"event {first} is"
            if first == expected_size
            else f"events {first}..{expected_size} are"
        )
        return Problem("truncated", first, f"{span} missing: the log ends at event {self.size}")

    def _diagnose(self, row: Row) -> Problem:
        """Say what most plausibly happened at the first row that does not verify."""
        sequence, record, stored_prev, stored_hash = row
        expect, prev, prev2 = self.size + 1, self.last_hash, self._prev2
        if sequence > expect:
            span = (
                f"event {expect} is"
                if sequence == expect + 1
                else f"events {expect}..{sequence - 1} are"
            )
            return Problem(
                "missing",
                expect,
                f"{span} missing (deleted): the log jumps from "
                f"event {expect - 1} to event {sequence}",
            )
        following = self._row_after(sequence)
        if stored_prev == prev:
            if following is not None and following[2] == prev:
                return Problem(
                    "inserted",
                    sequence,
                    f"event {sequence} was inserted: the event "
                    f"after it links straight to event {sequence - 1}",
                )
            return Problem(
                "edited",
                sequence,
                f"event {sequence} was edited: its fields no longer match its hash",
            )
        if prev2 is not None and stored_prev == prev2:
            return Problem(
                "inserted",
                sequence - 1,
                f"event {sequence - 1} was inserted: event "
                f"{sequence} links to event {sequence - 2}, the one before it",
            )
        if following is not None and following[3] == stored_prev:
            return Problem(
                "reordered",
                sequence,
                f"events {sequence} and {following[0]} are out "
                f"of order: event {sequence} links to the event stored after it",
            )
        if event_hash(stored_prev, renumbered(record, sequence + 1)) == stored_hash:
            return Problem(
                "missing",
                sequence,
                f"an event was deleted at {sequence} and the later "
                f"events renumbered: event {sequence} was hashed as {sequence + 1}",
            )
        if event_hash(stored_prev, record) == stored_hash:
            if sequence == 1:
                return Problem(
                    "broken",
                    1,
                    "event 1 does not start from the genesis hash: earlier events were removed",
                )
            return Problem(
                "rewritten",
                sequence - 1,
                f"event {sequence - 1} was replaced and "
                f"rehashed: event {sequence} still links to the original",
            )
        return Problem(
            "broken",
            sequence,
            f"event {sequence}: neither its link to event {sequence - 1} nor its own hash is right",
        )


def records(connection: BaseDatabaseWrapper, *, reference: bool = False) -> Iterator[Row]:
    """Every row as (sequence, canonical record, prev_hash, hash), in order, from one builder.

    reference=True builds the records in Python from the ORM; otherwise the database builds
    them. Tests check both agree; the benchmark hashes these records as its baseline.
    """
    walker = ChainCursor(connection)
    batches = python_rows(0, None, BATCH_ROWS) if reference else walker._sql_rows()
    for batch in batches:
        for row in batch:
            yield (row[0], bytes(row[1]), bytes(row[2]), bytes(row[3]))
