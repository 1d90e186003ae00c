"""Errors raised by field encryption: each names what failed and what to do about it."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured


class KeyConfigurationError(ImproperlyConfigured):
    """The key file or key provider is missing, unreadable, unsafe or not the one the data uses."""


class CiphertextError(Exception):
    """A stored ciphertext cannot be opened: corrupted, moved to another row, or its key is missing.

    Never swallowed into a wrong value: a field that cannot be decrypted raises this, naming the
    model, the field and the row.
    """


class EncryptionError(ValueError):
    """A value cannot be encrypted: no subject or row id yet, or the ORM path cannot encrypt."""


class KeyShreddedError(EncryptionError):
    """New personal data for a subject whose key was shredded (an erased person stays erased)."""
