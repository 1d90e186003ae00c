"""Writes to the access log: append events (one, or a batch) and seal signed checkpoints (R7).

Appending and the lock. Each append reads the chain's last event and inserts after it, so two
appends must not interleave. On PostgreSQL a transaction-scoped advisory lock serialises them;
SQLite already admits one writer at a time (our settings open every transaction IMMEDIATE).
Either way `sequence` is the primary key, so a fork is impossible even without the lock: the
loser of a race would fail, not branch.

The event is chained when it is written, inside the caller's transaction, so it commits with
the change it records or not at all. The cost: with ATOMIC_REQUESTS the lock is held from the
append to the end of the request, so on PostgreSQL requests that log are serialised over that
stretch. Views therefore log after their reads, just before rendering, and the locked section
itself is two statements. Chaining at seal time instead would release the lock at once but
leave unchained, editable rows until the next seal and need UPDATEs on the log; we chose the
stricter log. (docs/audit.md, "Ordering and locking".)
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from hashlib import sha256
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest
from django.utils import timezone

from tutela.audit import inputs
from tutela.audit.actor import Actor
from tutela.audit.canonical import (
    COLUMNS_AFTER_TIME,
    FORMAT_TAG,
    GENESIS_HASH,
    LEAF_PREFIX,
    US,
    encode_tail,
    event_hash,
)
from tutela.audit.chain import ChainBroken, ChainCursor, Problem
from tutela.audit.merkle import Frontier
from tutela.audit.models import AccessEvent, AuditCheckpoint
from tutela.audit.signing import checkpoint_body, key_id, load_signing_key, public_key_bytes
from tutela.core.http import client_ip, request_id

logger = logging.getLogger(__name__)

# pg_advisory_xact_lock key for "the access-log chain" (ASCII "tutela-a" as a signed bigint).
_CHAIN_LOCK_KEY = int.from_bytes(b"tutela-a", "big", signed=True)
_BATCH_ROWS = 5_000  # rows per executemany: bounded memory, few round trips

_EVENT_COLUMNS = ("sequence", "subject", "occurred_at", *COLUMNS_AFTER_TIME, "prev_hash", "hash")


@dataclass(frozen=True, slots=True)
class AccessEntry:
    """One event of a mixed batch for access_record_many (a uniform batch passes subjects)."""

    subject: str | uuid.UUID
    categories: Iterable[str]
    purpose: str
    action: str
    detail: str = ""


@functools.cache
def _insert_sql(vendor: str) -> str:
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    columns = ", ".join(quote(name) for name in _EVENT_COLUMNS)
    marks = ", ".join(["%s"] * len(_EVENT_COLUMNS))
    # Identifiers come from our own model, values go as parameters.
    return f"INSERT INTO {quote(AccessEvent._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608


def _lock_chain_tail(cursor: Any, vendor: str) -> tuple[int, bytes]:
    """Take the append lock and return the chain's last (sequence, hash)."""
    if vendor == "postgresql":
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
    cursor.execute("SELECT sequence, hash FROM audit_accessevent ORDER BY sequence DESC LIMIT 1")
    row = cursor.fetchone()
    return (0, GENESIS_HASH) if row is None else (row[0], bytes(row[1]))


def _request_origin(request: HttpRequest | None) -> tuple[str, str]:
    if request is None:
        return "", ""
    # client_ip already returns a parsed, normalised address (or None).
    return inputs.clean_request_id(request_id(request)), client_ip(request) or ""


def _times(db: BaseDatabaseWrapper, occurred_at: datetime) -> tuple[Any, str]:
    """The time as the database stores it, and as the canonical record spells it."""
    utc = occurred_at.astimezone(UTC).replace(tzinfo=None)
    canonical = utc.isoformat(timespec="microseconds") + "Z"  # == canonical_time(), faster
    if db.vendor == "sqlite":
        # Django's own SQLite format, with the microseconds always written out.
        return utc.isoformat(" ", timespec="microseconds"), canonical
    return db.ops.adapt_datetimefield_value(occurred_at), canonical


def _common(
    db: BaseDatabaseWrapper, actor: Actor, request: HttpRequest | None, occurred_at: datetime
) -> tuple[list[Any], dict[str, Any]]:
    """The actor/time/origin fields shared by a batch: DB values, and encode_tail() arguments."""
    actor = inputs.clean_actor(actor)
    rid, ip = _request_origin(request)
    db_time, canonical = _times(db, occurred_at)
    shared = [db_time, str(actor.kind), actor.id, actor.label, actor.role]
    tail_args = {
        "occurred_at": canonical,
        "actor_kind": str(actor.kind),
        "actor_id": actor.id,
        "actor_label": actor.label,
        "actor_role": actor.role,
        "request_id": rid,
        "ip": ip,
    }
    return shared, tail_args


def access_record(
    *,
    actor: Actor,
    subject: str | uuid.UUID,
    categories: Iterable[str],
    purpose: str,
    action: str,
    request: HttpRequest | None = None,
    detail: str = "",
) -> int:
    """Append one access event, chained after the last, in the caller's transaction (R7).

    Returns its sequence number. Kept lean on purpose: it runs inside staff page views, where
    its cost is the logging overhead of every request (docs/benchmarks.md).
    """
    subject = inputs.clean_subject(subject)
    cats = inputs.clean_categories(categories)
    purpose = inputs.clean_key("purpose", purpose)
    action = inputs.clean_action(action)
    detail = inputs.clean_detail(detail)
    occurred_at = timezone.now()
    db = connections[DEFAULT_DB_ALIAS]
    shared, tail_args = _common(db, actor, request, occurred_at)
    tail = encode_tail(**tail_args, action=action, purpose=purpose, categories=cats, detail=detail)
    row = [
        subject,
        *shared,
        action,
        purpose,
        cats,
        tail_args["request_id"],
        tail_args["ip"],
        detail,
    ]
    if not db.in_atomic_block:
        with transaction.atomic():
            return _append_one(db, row, f"{US}{subject}{US}{tail}")
    # Inside a request: no savepoint (no extra round trips). A failure dooms the caller's
    # whole transaction, as atomic(savepoint=False) would: the change being recorded must not
    # commit without its event, even if the caller catches the error.
    try:
        return _append_one(db, row, f"{US}{subject}{US}{tail}")
    except BaseException:
        transaction.set_rollback(True)
        raise


def _append_one(db: BaseDatabaseWrapper, row: list[Any], record_rest: str) -> int:
    """Chain and insert one prepared row; the caller holds a transaction."""
    with db.cursor() as cursor:
        last_sequence, prev = _lock_chain_tail(cursor, db.vendor)
        sequence = last_sequence + 1
        digest = event_hash(prev, f"{FORMAT_TAG}{US}{sequence}{record_rest}".encode())
        cursor.execute(_insert_sql(db.vendor), [sequence, *row, prev, digest])
    return sequence


def _uniform_rows(
    subjects: Iterable[str | uuid.UUID],
    categories: Iterable[str],
    purpose: str,
    action: str,
    detail: str,
) -> Iterator[tuple[str, str, str, str, str]]:
    cats = inputs.clean_categories(categories)
    purpose = inputs.clean_key("purpose", purpose)
    action = inputs.clean_action(action)
    detail = inputs.clean_detail(detail)
    clean_subject = inputs.clean_subject
    for subject in subjects:
        yield clean_subject(subject), cats, purpose, action, detail


def _entry_rows(entries: Iterable[AccessEntry]) -> Iterator[tuple[str, str, str, str, str]]:
    for entry in entries:
        yield (
            inputs.clean_subject(entry.subject),
            inputs.clean_categories(entry.categories),
            inputs.clean_key("purpose", entry.purpose),
            inputs.clean_action(entry.action),
            inputs.clean_detail(entry.detail),
        )


def access_record_many(
    *,
    actor: Actor,
    subjects: Iterable[str | uuid.UUID] | None = None,
    categories: Iterable[str] = (),
    purpose: str = "",
    action: str = "",
    detail: str = "",
    entries: Iterable[AccessEntry] | None = None,
    request: HttpRequest | None = None,
) -> range:
    """Append a batch of events for a bulk job, chained in order; returns their sequence numbers.

    Pass either `subjects` (one event per subject, sharing categories, purpose, action and
    detail) or `entries` (AccessEntry per event). All events get one timestamp. Rows go in with
    executemany in batches of a few thousand: Django's bulk_create builds a model instance per
    row and was several times slower (docs/benchmarks.md). A bad entry anywhere stores nothing.
    """
    if (subjects is None) == (entries is None):
        raise ValueError("access_record_many: pass exactly one of subjects= or entries=")
    occurred_at = timezone.now()
    db = connections[DEFAULT_DB_ALIAS]
    shared, tail_args = _common(db, actor, request, occurred_at)
    rid, ip = tail_args["request_id"], tail_args["ip"]
    rows = (
        _uniform_rows(subjects, categories, purpose, action, detail)
        if subjects is not None
        else _entry_rows(entries or ())
    )
    sql = _insert_sql(db.vendor)
    sha_prefix = LEAF_PREFIX
    # A savepoint here (unlike access_record): entries are checked as they stream in, and a
    # bad one must undo this batch without spoiling the caller's transaction.
    with transaction.atomic(), db.cursor() as cursor:
        last_sequence, prev = _lock_chain_tail(cursor, db.vendor)
        first = sequence = last_sequence + 1
        tails: dict[tuple[str, str, str, str], str] = {}
        batch: list[list[Any]] = []
        for subject, cats, purpose_key, action_key, detail_text in rows:
            key = (cats, purpose_key, action_key, detail_text)
            tail = tails.get(key)
            if tail is None:
                tail = encode_tail(
                    **tail_args,
                    action=action_key,
                    purpose=purpose_key,
                    categories=cats,
                    detail=detail_text,
                )
                if len(tails) > 1_000:  # bounded memory for batches with many distinct details
                    tails.clear()
                tails[key] = tail
            digest = sha256(
                sha_prefix + prev + f"{FORMAT_TAG}{US}{sequence}{US}{subject}{US}{tail}".encode()
            ).digest()
            batch.append(
                [sequence, subject, *shared, action_key, purpose_key, cats, rid, ip,
                 detail_text, prev, digest]
            )  # fmt: skip
            prev = digest
            sequence += 1
            if len(batch) >= _BATCH_ROWS:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
    return range(first, sequence)


def audit_seal(*, actor: Actor) -> AuditCheckpoint | None:
    """Sign a checkpoint (Merkle tree head) over every event so far; idempotent.

    Reads only the events after the latest checkpoint (its stored frontier carries the tree),
    re-checks their chain first and refuses to sign a broken one (raises ChainBroken). Returns
    the new checkpoint, the latest one when nothing was appended since, or None for an empty
    log. Side effects: creates the signing key file on first use.

    Its only write is the checkpoint row, in its own short transaction; the reading happens
    outside one so that, on SQLite, appends are not held up while a large backlog is hashed.
    """
    key = load_signing_key(create=True)
    latest = AuditCheckpoint.objects.order_by("-tree_size").first()
    if latest is None:
        frontier, last_hash = Frontier(), GENESIS_HASH
    else:
        frontier = Frontier.from_bytes(latest.tree_size, bytes(latest.frontier))
        last_hash = bytes(latest.last_hash)
        if frontier.root() != bytes(latest.root_hash):
            # Signing on from a doctored frontier would vouch for a tree nobody can rebuild.
            raise ChainBroken(
                Problem(
                    "bad_checkpoint",
                    None,
                    f"checkpoint of {latest.tree_size} events: its stored frontier does not "
                    "give its signed root; run manage.py audit_verify",
                    latest.tree_size,
                )
            )
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(sequence) FROM audit_accessevent")
        (target,) = cursor.fetchone()
    if not target or target <= frontier.size:
        return latest
    chain = ChainCursor(connection, after=frontier.size, last_hash=last_hash, upto=target)
    for leaves in chain.batches():
        frontier.extend(leaves)
    if chain.problem is not None:
        raise ChainBroken(chain.problem)
    if frontier.size != target:
        raise ChainBroken(chain.missing_tail(target))
    return _store_checkpoint(key, frontier, chain.last_hash, actor)


def _store_checkpoint(
    key: Any, frontier: Frontier, last_hash: bytes, actor: Actor
) -> AuditCheckpoint:
    sealed_at = timezone.now()
    public = public_key_bytes(key)
    root = frontier.root()
    origin = settings.TUTELA_AUDIT_ORIGIN
    body = checkpoint_body(origin, frontier.size, root, last_hash, sealed_at)
    checkpoint = AuditCheckpoint(
        tree_size=frontier.size,
        root_hash=root,
        last_hash=last_hash,
        frontier=frontier.to_bytes(),
        sealed_at=sealed_at,
        origin=origin,
        key_id=key_id(public),
        signature=key.sign(body.encode()),
    )
    fields = [f for f in AuditCheckpoint._meta.concrete_fields if f.name != "id"]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (our identifiers, parameters)
        quote(AuditCheckpoint._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    values = [f.get_db_prep_save(getattr(checkpoint, f.attname), connection) for f in fields]
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, values)
    except IntegrityError:
        # Another seal signed the same tree size first: same events, same root; use theirs.
        return AuditCheckpoint.objects.get(tree_size=frontier.size)
    logger.info("access log sealed at %d events by %s", frontier.size, actor.label)
    return AuditCheckpoint.objects.get(tree_size=frontier.size)
