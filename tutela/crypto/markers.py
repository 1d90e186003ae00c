"""What an encrypted field reads as once its subject's key has been shredded."""

from __future__ import annotations

from typing import Any


class ErasedText(str):
    """The erased marker for text and JSON fields: renders as "[erased]" in every template."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ERASED"


class ErasedBytes(bytes):
    """The erased marker for binary fields (files such as call recordings): empty content."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ERASED_BYTES"


ERASED = ErasedText("[erased]")
ERASED_BYTES = ErasedBytes(b"")


def is_erased(value: Any) -> bool:
    """True when `value` is what a field reads as after crypto-shredding (or an erased field)."""
    return isinstance(value, ErasedText | ErasedBytes)
