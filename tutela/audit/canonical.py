"""The canonical byte encoding of an access event, and its hash (docs/audit.md, "Event hash").

An auditor must be able to recompute every hash from the table alone, so the encoding is
deliberately plain: the event's fields as text, in a fixed order, joined by U+001F (the ASCII
unit separator), UTF-8 encoded. No field may contain a control character (the services refuse
them), so the separator is unambiguous without any escaping.

    record     = "tutela-audit/1" US sequence US subject US occurred_at US actor_kind US actor_id
                 US actor_label US actor_role US action US purpose US categories US request_id
                 US ip US detail
    leaf_input = prev_hash (32 bytes) || UTF-8(record)
    hash       = SHA-256(0x00 || leaf_input)

`hash` is exactly the RFC 9162 (section 2.1.1) leaf hash of `leaf_input`, so the chain and the
Merkle tree of the signed checkpoints share one hash per event. The fields that change per event
in a batch (sequence, subject) come first so bulk appends can reuse the encoded tail.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

FORMAT_TAG = "tutela-audit/1"
US = "\x1f"
GENESIS_HASH = bytes(32)  # prev_hash of event 1
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"

# Control characters (C0, DEL, C1) would make the encoding ambiguous and can forge log lines.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

_sha256 = hashlib.sha256


def has_control_characters(value: str) -> bool:
    """True when `value` holds a character the canonical encoding cannot carry."""
    return _CONTROL.search(value) is not None


def canonical_time(moment: datetime) -> str:
    """RFC 3339 in UTC with exactly six fraction digits: 2025-11-25T15:54:00.000000Z."""
    if moment.tzinfo is None:
        raise ValueError("occurred_at must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def encode_tail(
    *,
    occurred_at: str,
    actor_kind: str,
    actor_id: int | None,
    actor_label: str,
    actor_role: str,
    action: str,
    purpose: str,
    categories: str,
    request_id: str,
    ip: str,
    detail: str,
) -> str:
    """The part of the record after the subject (shared by every event of one bulk append)."""
    return US.join(
        (
            occurred_at,
            actor_kind,
            "" if actor_id is None else str(actor_id),
            actor_label,
            actor_role,
            action,
            purpose,
            categories,
            request_id,
            ip,
            detail,
        )
    )


def encode_record(sequence: int, subject: str, tail: str) -> bytes:
    """The canonical record of one event, given its encoded tail."""
    return f"{FORMAT_TAG}{US}{sequence}{US}{subject}{US}{tail}".encode()


def event_hash(prev_hash: bytes, record: bytes) -> bytes:
    """SHA-256(0x00 || prev_hash || record): the chain hash and the Merkle leaf hash."""
    return _sha256(LEAF_PREFIX + prev_hash + record).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 interior node hash: SHA-256(0x01 || left || right)."""
    return _sha256(NODE_PREFIX + left + right).digest()


def renumbered(record: bytes, sequence: int) -> bytes:
    """The same record with another sequence number (used to explain a renumbered event)."""
    tag, _old, rest = record.split(US.encode(), 2)
    return tag + US.encode() + str(sequence).encode() + US.encode() + rest


# --- The same record, built by the database -------------------------------------------------
# audit_verify reads millions of rows; building the record inside the database returns one
# value per row instead of fourteen, which is what lets verification keep pace with hashing
# (docs/benchmarks.md). tests/test_canonical.py proves both builders agree byte for byte.

# The stored columns that follow the time in the record, in record order (services.py inserts
# them in the same order).
COLUMNS_AFTER_TIME = (
    "actor_kind",
    "actor_id",
    "actor_label",
    "actor_role",
    "action",
    "purpose",
    "categories",
    "request_id",
    "ip",
    "detail",
)


def record_sql(vendor: str) -> str | None:
    """A SQL expression that yields the canonical record of a row as bytes, or None if unknown.

    Meant for a query executed *with* parameters: its percent signs are doubled, as Django's
    cursors expect then.
    """
    if vendor == "sqlite":
        # The services store SQLite times as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC, microseconds
        # always written (services._times); printf turns NULL into '' and integers into
        # decimal, exactly as encode_tail does.
        fmt = US.join(["'" + FORMAT_TAG, "%%s", "%%s", "%%sZ"] + ["%%s"] * 10) + "'"
        args = ", ".join(
            ("sequence", "subject", "replace(occurred_at, ' ', 'T')", *COLUMNS_AFTER_TIME)
        )
        return f"CAST(printf({fmt}, {args}) AS BLOB)"
    if vendor == "postgresql":
        # concat_ws skips NULLs, so actor_id is coalesced to keep its (empty) slot.
        parts = [
            "'" + FORMAT_TAG + "'",
            "sequence::text",
            "subject",
            """to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')""",
            *(
                "coalesce(actor_id::text, '')" if column == "actor_id" else column
                for column in COLUMNS_AFTER_TIME
            ),
        ]
        return f"convert_to(concat_ws(chr(31), {', '.join(parts)}), 'UTF8')"
    return None
