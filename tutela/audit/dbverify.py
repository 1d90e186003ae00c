"""audit_verify's set-based pass on PostgreSQL: the database checks the chain, Python the roots.

Fetching a row into Python costs several times hashing it (docs/benchmarks.md), so on
PostgreSQL (11+, for sha256(bytea)) the chain is recomputed inside the database, batch by batch,
and only two things come back per batch: the first bad event, if any, and the batch's stored
hashes concatenated into one bytea. When anything is wrong, the caller walks that stretch again
with the Python path (chain.ChainCursor), so a problem is diagnosed and worded by one piece of
code only; this module just has to find *whether* a stretch is sound, and is the reference's
equal on that: its per-row test is the Python hot loop's, expressed in SQL.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.backends.base.base import BaseDatabaseWrapper

from tutela.audit.canonical import record_sql
from tutela.audit.merkle import HASH_SIZE

SQL_BATCH_ROWS = 50_000  # ~1.6 MB of hashes per round trip; memory stays bounded


def supported(connection: BaseDatabaseWrapper) -> bool:
    """True when the database can run the set-based pass (PostgreSQL 11 or later)."""
    version = getattr(connection, "pg_version", 0) if connection.vendor == "postgresql" else 0
    return bool(version and version >= 110000)


def _batch_sql(record: str) -> str:
    # A row is bad exactly when the Python hot loop (ChainCursor.batches) would stop at it: its
    # sequence is not one more than the row before, its prev_hash is not the previous row's
    # hash, or its stored hash is not SHA-256(0x00 || prev_hash || record). Comparing with the
    # previous row's *stored* hash is the same as comparing with its recomputed hash, because
    # every row before the first bad one has stored == recomputed. IS DISTINCT FROM, so a NULL
    # anywhere counts as bad rather than slipping through a NULL comparison.
    # The hashes are aggregated in the same statement, so they come from the very snapshot
    # that was just verified (no edit can slip in between checking a row and reading it).
    # A batch is a range of sequence numbers, not a LIMIT: the range keeps the planner on the
    # primary key index even before the table has statistics (with LIMIT it sorted the table).
    return (
        "SELECT count(*), min(sequence) FILTER (WHERE bad), max(sequence), "  # noqa: S608
        "string_agg(hash, ''::bytea ORDER BY sequence) FROM ("
        "SELECT sequence, hash, ("
        "sequence IS DISTINCT FROM coalesce(lag(sequence) OVER w, %s) + 1 "
        "OR prev_hash IS DISTINCT FROM coalesce(lag(hash) OVER w, %s) "
        f"OR hash IS DISTINCT FROM sha256('\\x00'::bytea || prev_hash || {record})"
        ") AS bad FROM audit_accessevent WHERE sequence > %s AND sequence <= %s "
        "WINDOW w AS (ORDER BY sequence)) AS t"
    )


class SoundChain:
    """The good events after `after`, as leaf hashes in batches; `bad` is set at a problem.

    After batches() is exhausted: `bad` is None and `size` is the last event, or `bad` names
    the first event the Python path must explain (the leaves already yielded are then of no
    further use to the caller, which walks the stretch again).
    """

    def __init__(
        self,
        connection: BaseDatabaseWrapper,
        *,
        after: int,
        last_hash: bytes,
        upto: int | None,
        batch_rows: int | None = None,
    ) -> None:
        self.connection = connection
        self.size = after
        self.last_hash = last_hash
        self.bad: int | None = None
        self._after = after
        self._upto = upto
        self._batch_rows = batch_rows or SQL_BATCH_ROWS  # read at run time: tests shrink it
        record = record_sql("postgresql")
        assert record is not None  # noqa: S101  # always defined for PostgreSQL
        self._sql = _batch_sql(record)

    def batches(self) -> Iterator[list[bytes]]:
        """Yield the stored hashes of verified events, in order, batch by batch."""
        with self.connection.cursor() as cursor:
            end = self._upto
            if end is None:  # to the end of the log as it is now
                cursor.execute("SELECT max(sequence) FROM audit_accessevent")
                end = cursor.fetchone()[0] or 0
            for low in range(self._after, end, self._batch_rows):
                high = min(low + self._batch_rows, end)
                # The first row of a batch must follow the last good row, wherever it was: an
                # empty range (a gap wider than a batch) leaves size behind, and the next
                # non-empty batch's first row then fails the sequence test.
                cursor.execute(self._sql, [self.size, self.last_hash, low, high])
                count, bad, last, joined = cursor.fetchone()
                if bad is not None:
                    self.bad = bad
                    return
                if count:
                    data = bytes(joined)  # every hash is 32 bytes: it equals a SHA-256 digest
                    # Sound to use the stored hashes as Merkle leaves: this batch has just been
                    # proved to hold, row for row, the hashes the Python path recomputes.
                    yield [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]
                    self.size, self.last_hash = last, data[-HASH_SIZE:]
