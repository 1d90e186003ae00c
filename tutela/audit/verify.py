"""audit_verify: recompute the whole chain and every checkpoint, and say what is wrong first."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import repeat

from django.db import connection, connections

from tutela.audit import dbverify
from tutela.audit.canonical import GENESIS_HASH
from tutela.audit.chain import BATCH_ROWS, ChainCursor, Problem
from tutela.audit.merkle import Frontier
from tutela.audit.models import AuditCheckpoint
from tutela.audit.signing import (
    SigningKeyError,
    checkpoint_body,
    key_id,
    load_signing_key,
    public_key_bytes,
    verify_signature,
)
from tutela.audit.triggers import missing_triggers


@dataclass
class VerifyReport:
    """What audit_verify found: counts, problems (first bad event first) and warnings."""

    events: int = 0
    checkpoints: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    root: bytes = b""

    @property
    def ok(self) -> bool:
        """True when nothing is wrong (warnings do not count)."""
        return not self.problems

    @property
    def first_bad_event(self) -> Problem | None:
        """The problem naming the lowest event sequence number, if any names one."""
        located = [p for p in self.problems if p.sequence is not None]
        return min(located, key=lambda p: p.sequence or 0) if located else None


@dataclass(frozen=True, slots=True)
class _Checkpoint:
    tree_size: int
    root_hash: bytes
    last_hash: bytes
    frontier: bytes
    body: str
    key_id: str
    signature: bytes


def _checkpoints() -> Iterator[_Checkpoint]:
    rows = AuditCheckpoint.objects.order_by("tree_size").values_list(
        "tree_size", "root_hash", "last_hash", "frontier", "sealed_at", "origin", "key_id",
        "signature",
    )  # fmt: skip
    for size, root, last, frontier, sealed_at, origin, kid, signature in rows.iterator(1000):
        root, last = bytes(root), bytes(last)
        body = checkpoint_body(origin, size, root, last, sealed_at)
        yield _Checkpoint(size, root, last, bytes(frontier), body, kid, bytes(signature))


def _trusted_keys(extra: Iterable[bytes], report: VerifyReport) -> dict[str, bytes]:
    keys = {key_id(key): key for key in extra}
    try:
        own = public_key_bytes(load_signing_key(create=False))
    except SigningKeyError as exc:
        if not keys:
            report.warnings.append(f"no public key to check signatures with: {exc}")
    else:
        keys[key_id(own)] = own
    return keys


def _check_signature(checkpoint: _Checkpoint, keys: dict[str, bytes]) -> Problem | None:
    key = keys.get(checkpoint.key_id)
    if key is None:
        return Problem(
            "unknown_key",
            None,
            f"checkpoint of {checkpoint.tree_size} events is signed by key "
            f"{checkpoint.key_id[:16]}..., which is not a trusted key",
            checkpoint.tree_size,
        )
    if not verify_signature(key, checkpoint.body, checkpoint.signature):
        return Problem(
            "bad_signature",
            None,
            f"checkpoint of {checkpoint.tree_size} events: the signature does not match its "
            "contents (forged or altered checkpoint)",
            checkpoint.tree_size,
        )
    return None


class _CheckpointMatcher:
    """Compares the recomputed tree with each checkpoint as the walk reaches its size."""

    def __init__(self, checkpoints: list[_Checkpoint], problems: list[Problem], start: int) -> None:
        self.pending = iter(checkpoints)
        self.next = next(self.pending, None)
        self.problems = problems
        self.last_good = start
        self.failed = False

    def feed(self, frontier: Frontier, leaves: list[bytes]) -> None:
        start = 0
        while self.next is not None and frontier.size + len(leaves) - start >= self.next.tree_size:
            take = self.next.tree_size - frontier.size
            frontier.extend(leaves[start : start + take])
            start += take
            self._compare(frontier, self.next)
            self.next = next(self.pending, None)
        frontier.extend(leaves[start:] if start else leaves)

    def _compare(self, frontier: Frontier, checkpoint: _Checkpoint) -> None:
        if self.failed:
            return
        size = checkpoint.tree_size
        if frontier.root() != checkpoint.root_hash:
            self.failed = True
            first = self.last_good + 1
            self.problems.append(
                Problem(
                    "rewritten",
                    first,
                    f"events {first}..{size} no longer give the root signed in the checkpoint "
                    f"of {size} events: one of them was changed and the chain after it "
                    "recomputed",
                    size,
                )
            )
        elif frontier.to_bytes() != checkpoint.frontier:
            self.problems.append(_frontier_problem(size))
        else:
            self.last_good = size


def _frontier_problem(size: int) -> Problem:
    return Problem(
        "bad_checkpoint",
        None,
        f"checkpoint of {size} events: its stored frontier was altered (the next seal would "
        "refuse to continue from it)",
        size,
    )


@dataclass(frozen=True, slots=True)
class _Segment:
    """Events (start, end] checked from a trusted state: genesis or a verified checkpoint."""

    start: int
    start_hash: bytes
    start_frontier: bytes
    checkpoints: tuple[_Checkpoint, ...]  # those inside the segment, in order
    end: int | None  # None: to the end of the log


@dataclass(frozen=True, slots=True)
class _SegmentResult:
    good: int  # events read and found good
    problems: list[Problem]
    root: bytes


def _segments(checkpoints: list[_Checkpoint], trusted: set[int]) -> list[_Segment]:
    """Cut the log at every trusted checkpoint: each piece can be checked on its own.

    A checkpoint is a safe starting point when its signature verifies and its stored frontier
    folds to its signed root: then its chain head and Merkle frontier are exactly what the
    events before it must produce, which the previous piece checks.
    """
    segments: list[_Segment] = []
    start, start_hash, start_frontier = 0, GENESIS_HASH, b""
    inside: list[_Checkpoint] = []
    for checkpoint in checkpoints:
        inside.append(checkpoint)
        if checkpoint.tree_size in trusted:
            segments.append(
                _Segment(start, start_hash, start_frontier, tuple(inside), checkpoint.tree_size)
            )
            start, start_hash = checkpoint.tree_size, checkpoint.last_hash
            start_frontier, inside = checkpoint.frontier, []
    segments.append(_Segment(start, start_hash, start_frontier, tuple(inside), None))
    return segments


def _check_segment(segment: _Segment, batch_rows: int, reference: bool) -> _SegmentResult:
    """Check one segment: set-based in the database where it can, else (or on any problem)
    by walking it in Python, which then says what is wrong."""
    if not reference and dbverify.supported(connection):
        result = _check_segment_in_database(segment)
        if result is not None:
            return result
    return _walk_segment(segment, batch_rows, reference)


def _check_segment_in_database(segment: _Segment) -> _SegmentResult | None:
    """The segment's result when the database finds its chain sound and nothing else is
    wrong; None when anything is (the Python walk then finds and words the same problem)."""
    problems: list[Problem] = []
    frontier = Frontier.from_bytes(segment.start, segment.start_frontier)
    matcher = _CheckpointMatcher(list(segment.checkpoints), problems, segment.start)
    chain = dbverify.SoundChain(
        connection, after=segment.start, last_hash=segment.start_hash, upto=segment.end
    )
    # The leaves fed here are stored hashes; SoundChain yields a batch only once the database
    # has proved those rows' hashes equal to the recomputed ones, so the roots are the very
    # roots the Python walk computes from its own hashes.
    for leaves in chain.batches():
        matcher.feed(frontier, leaves)
    covered = segment.checkpoints[-1].tree_size if segment.checkpoints else 0
    if chain.bad is not None or problems or covered > chain.size:
        return None
    return _SegmentResult(chain.size - segment.start, problems, frontier.root())


def _walk_segment(segment: _Segment, batch_rows: int, reference: bool) -> _SegmentResult:
    """Walk one segment in Python: chain, Merkle roots at its checkpoints, and a cut tail."""
    problems: list[Problem] = []
    frontier = Frontier.from_bytes(segment.start, segment.start_frontier)
    matcher = _CheckpointMatcher(list(segment.checkpoints), problems, segment.start)
    chain = ChainCursor(
        connection,
        after=segment.start,
        last_hash=segment.start_hash,
        upto=segment.end,
        batch_rows=batch_rows,
        reference=reference,
    )
    for leaves in chain.batches():
        matcher.feed(frontier, leaves)
    if chain.problem is not None:
        problems.append(chain.problem)
    elif segment.checkpoints and segment.checkpoints[-1].tree_size > chain.size:
        covered = segment.checkpoints[-1].tree_size
        cut = chain.missing_tail(covered)
        problems.append(
            Problem(
                "truncated",
                cut.sequence,
                f"{cut.message}, but a signed checkpoint covers {covered} events "
                "(the tail was cut)",
                covered,
            )
        )
    return _SegmentResult(chain.size - segment.start, problems, frontier.root())


def _check_all(
    segments: list[_Segment], workers: int, batch_rows: int, reference: bool, parallel_from: int
) -> list[_SegmentResult]:
    """Check the segments here, or in worker processes when that is possible and worth it."""
    parallel = (
        workers > 1
        and len(segments) > 1
        and segments[-1].start >= parallel_from  # starting processes costs ~0.1 s
        and not connection.in_atomic_block  # workers could not see uncommitted rows
        and "fork" in multiprocessing.get_all_start_methods()
    )
    if not parallel:
        return [_check_segment(segment, batch_rows, reference) for segment in segments]
    # Children must open their own connections, not share the parent's socket or file handle.
    connections.close_all()
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(workers, len(segments)), mp_context=context) as pool:
        return list(pool.map(_check_segment, segments, repeat(batch_rows), repeat(reference)))


def audit_verify(
    *,
    public_keys: Iterable[bytes] = (),
    workers: int = 1,
    parallel_from: int = 100_000,
    batch_rows: int = BATCH_ROWS,
    reference: bool = False,
) -> VerifyReport:
    """Recompute the chain in order and the root of every checkpoint; check every signature.

    Reports the first bad event and why: edited content, a deleted, inserted or reordered
    event, a tail cut below a signed checkpoint, a rewritten stretch (chain recomputed but the
    signed root no longer matches), and forged or unknown-key signatures. Constant memory.

    The log is cut at each verified checkpoint into pieces that are checked independently, so
    with workers > 1 (and autocommit, on a system with fork, and at least `parallel_from` sealed
    events) they run in parallel processes.
    reference=True builds the canonical records in Python instead of SQL (slower; tests).
    """
    report = VerifyReport()
    keys = _trusted_keys(public_keys, report)
    checkpoints = list(_checkpoints())
    report.checkpoints = len(checkpoints)
    trusted: set[int] = set()
    for checkpoint in checkpoints:
        problem = _check_signature(checkpoint, keys)
        if problem is None:
            try:
                folded = Frontier.from_bytes(checkpoint.tree_size, checkpoint.frontier).root()
            except ValueError:
                folded = b""
            if folded == checkpoint.root_hash:
                trusted.add(checkpoint.tree_size)
            else:
                problem = _frontier_problem(checkpoint.tree_size)
        if problem is not None:
            report.problems.append(problem)
    segments = _segments(checkpoints, trusted)
    results = _check_all(segments, workers, batch_rows, reference, parallel_from)
    for result in results:
        report.events += result.good
        report.problems.extend(result.problems)
    report.root = results[-1].root
    report.problems = _distinct(report.problems)
    report.problems.sort(key=_order)
    missing = missing_triggers(connection)
    if missing:
        report.warnings.append("append-only triggers missing: " + ", ".join(missing))
    return report


def _distinct(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))  # parallel stretches may report a cut tail twice


def _order(problem: Problem) -> tuple[int, int]:
    return (0 if problem.sequence is not None else 1, problem.sequence or 0)


def describe(report: VerifyReport) -> list[str]:
    """Human-readable lines for the command and the staff audit page."""
    lines = [f"{report.events} events verified, {report.checkpoints} signed checkpoints"]
    first = report.first_bad_event
    if first is not None:
        lines.append(f"FIRST BAD EVENT: {first.sequence} ({first.kind}): {first.message}")
    lines.extend(f"PROBLEM ({p.kind}): {p.message}" for p in report.problems if p is not first)
    lines.extend(f"warning: {w}" for w in report.warnings)
    if report.ok:
        lines.append(f"OK: tree head {report.root.hex()}")
    return lines
