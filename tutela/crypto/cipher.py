"""The ciphertext format and its associated data; pure functions, no keys or database here.

Format (version 1): 0x01 | 96-bit random nonce | AES-256-GCM ciphertext and 128-bit tag.
A single 0x00 byte is the tombstone of a field erased on its own (reads as erased, needs no key).
Associated data binds a ciphertext to its table, column and row, so a ciphertext copied to another
row or column fails authentication instead of decrypting there.
"""

from __future__ import annotations

import functools
import os
import uuid
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION_1 = 1
TOMBSTONE = b"\x00"
NONCE_BYTES = 12
TAG_BYTES = 16
_AAD_MAGIC = b"tutela-field\x01"


class FormatError(ValueError):
    """The stored bytes are not a ciphertext this version of Tutela can read."""


def _part(text: str) -> bytes:
    # Length-prefixed, so ("ab", "c") and ("a", "bc") can never give the same associated data.
    raw = text.encode("utf-8")
    return len(raw).to_bytes(2, "big") + raw


def aad_prefix(table: str, column: str) -> bytes:
    """The fixed part of a column's associated data (computed once per field)."""
    return _AAD_MAGIC + _part(table) + _part(column)


def row_part(row_id: Any) -> bytes:
    """The row's part of the associated data."""
    # Cached: UUID formatting costs more than the decryption of a short field. UUIDs are looked
    # up by their integer, whose hash is computed in C (UUID.__hash__ is Python code).
    if row_id.__class__ is uuid.UUID:
        return _uuid_row_part(row_id.int)
    return _row_part(row_id)


@functools.lru_cache(maxsize=65536)
def _uuid_row_part(number: int) -> bytes:
    return _part(str(uuid.UUID(int=number)))


@functools.lru_cache(maxsize=65536)
def _row_part(row_id: Any) -> bytes:
    return _part(str(row_id))


def subject_text(subject: Any) -> str:
    """A subject id in canonical form (lower-case hyphenated UUID); ValueError if it is not one."""
    if subject.__class__ is uuid.UUID:
        return _uuid_text(subject.int)
    if isinstance(subject, str):
        return _canonical_text(subject)
    if isinstance(subject, uuid.UUID):
        return str(subject)
    raise ValueError(f"subject id must be a UUID, not {type(subject).__name__}")


@functools.lru_cache(maxsize=65536)
def _uuid_text(number: int) -> str:
    return str(uuid.UUID(int=number))


@functools.lru_cache(maxsize=65536)
def _canonical_text(text: str) -> str:
    return str(uuid.UUID(text))


def seal(cipher: AESGCM, plaintext: bytes, aad: bytes) -> bytes:
    """Encrypt with a fresh random nonce (a 96-bit nonce per message, as NIST SP 800-38D)."""
    nonce = os.urandom(NONCE_BYTES)
    return b"\x01" + nonce + cipher.encrypt(nonce, plaintext, aad)


def check_format(blob: bytes) -> None:
    """Raise FormatError unless `blob` is a version-1 ciphertext."""
    if not blob:
        raise FormatError("empty value")
    if blob[0] != VERSION_1:
        raise FormatError(f"unknown format version {blob[0]}")
    if len(blob) < 1 + NONCE_BYTES + TAG_BYTES:
        raise FormatError(f"too short ({len(blob)} bytes)")


def open_sealed(cipher: AESGCM, blob: bytes, aad: bytes) -> bytes:
    """Decrypt a version-1 ciphertext; raises cryptography's InvalidTag if it does not belong."""
    view = memoryview(blob)
    return cipher.decrypt(view[1 : 1 + NONCE_BYTES], view[1 + NONCE_BYTES :], aad)
