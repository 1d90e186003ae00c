"""How one stored value appears in an export: a plain value, erased, withheld, or a file.

Every personal value is one of these items (the JSON Schema's `value_item`):
    {"state": "value", "value": <JSON>}            what we hold, decrypted
    {"state": "erased"}                            its key was destroyed (crypto-shredding) or
                                                   the value was anonymised: nothing is left
    {"state": "withheld", "reason": "..."}         held, but not copied (sign-in secrets, keyed
                                                   hashes), with the reason
    {"state": "file", "file": {...}}               a file (attachment, recording): name, size,
                                                   type and SHA-256 always; the content in base64
                                                   only up to INLINE_FILE_BYTES
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import uuid
from decimal import Decimal
from enum import Enum
from typing import Any

from django.utils.functional import Promise

from tutela.crypto.api import is_erased

# Files up to 1 MiB travel inside the JSON (base64, about 1.4 MB): a support attachment (5 MiB at
# most) or a call recording usually exceeds it. Larger files are listed with name, size, type and
# SHA-256 and a reference (source, row id, field) by which the request's fulfilment delivers them
# as separate downloads; the hash lets the person check what they received. The limit keeps an
# export of a thousand rows a few megabytes and within the 1-second budget of issue 5.
INLINE_FILE_BYTES = 1024 * 1024

ERASED_ITEM: dict[str, Any] = {"state": "erased"}

# First bytes of the file types people send us or we record (support attachments, recordings).
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"OggS", "audio/ogg"),
    (b"fLaC", "audio/flac"),
    (b"ID3", "audio/mpeg"),
    (b"\xff\xfb", "audio/mpeg"),
    (b"\xff\xf3", "audio/mpeg"),
    (b"PK\x03\x04", "application/zip"),
)
_EXTENSIONS = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "audio/ogg": "ogg",
    "audio/flac": "flac",
    "audio/mpeg": "mp3",
    "audio/wav": "wav",
    "application/zip": "zip",
    "text/plain": "txt",
    "application/octet-stream": "bin",
}


def json_value(value: Any) -> Any:
    """A stored Python value as JSON: dates in ISO 8601, ids and decimals as text."""
    if value is None or value.__class__ in (str, int, bool, float):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal | Promise):
        return str(value)
    if isinstance(value, Enum):
        return json_value(value.value)
    if isinstance(value, dict):
        return {str(key): json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_value(item) for item in value]
    if isinstance(value, str):  # subclasses (markers, lazy choices) as plain text
        return str.__str__(value)
    if isinstance(value, int | float):
        return float(value) if isinstance(value, float) else int(value)
    return str(value)


def value_item(value: Any) -> dict[str, Any]:
    """A decrypted (or plain) value as an export item; erased markers become `erased`."""
    if is_erased(value):
        return ERASED_ITEM
    return {"state": "value", "value": json_value(value)}


def media_type(data: bytes) -> str:
    """The file's type from its first bytes; UTF-8 text is text/plain, the rest octet-stream."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio/wav"
    head = data[:4096]
    if b"\x00" in head:
        return "application/octet-stream"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A character cut in two by the 4 KiB sample is still text.
        if len(data) <= len(head) or exc.start < len(head) - 3:
            return "application/octet-stream"
    return "text/plain"


def file_item(value: Any, *, name: str, inline_limit: int) -> dict[str, Any]:
    """A stored file: always listed (size, type, SHA-256, a download name); content if small."""
    if value is None:
        return {"state": "value", "value": None}
    if is_erased(value):
        return ERASED_ITEM
    data = bytes(value)
    kind = media_type(data)
    included = len(data) <= inline_limit
    return {
        "state": "file",
        "file": {
            "file_name": f"{name}.{_EXTENSIONS[kind]}",
            "size_bytes": len(data),
            "media_type": kind,
            "sha256": hashlib.sha256(data).hexdigest(),
            "included": included,
            "content_base64": base64.b64encode(data).decode("ascii") if included else None,
        },
    }


def withheld_item(reason: str) -> dict[str, Any]:
    """A value we hold but do not copy into an export, with the reason."""
    return {"state": "withheld", "reason": reason}
