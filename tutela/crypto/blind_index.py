"""Blind indexes: a keyed HMAC of a normalised value, for equality look-ups on encrypted columns.

`blind_index("accounts.email", " Ada@Example.COM ")` equals `blind_index("accounts.email",
"ada@example.com")`; the same value under another label gives an unrelated index (domain
separation), so one column's index cannot be matched against another's. The key is separate from
every master key and lives with them in the key provider, never in the database.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Callable
from typing import Any

from django.db import models

from tutela.crypto import keystore
from tutela.crypto.markers import is_erased


def _casefold(value: str) -> str:
    # NFKC first, so full-width and compatibility forms of a letter index alike.
    return unicodedata.normalize("NFKC", value).strip().casefold()


NORMALISERS: dict[str, Callable[[str], str]] = {
    "casefold": _casefold,  # emails, names: strip, NFKC, casefold
    "exact": lambda value: value,
}


def blind_index(column_label: str, value: str, *, normaliser: str = "casefold") -> str:
    """HMAC-SHA256 (hex) of the normalised value, separated per column label."""
    try:
        normalise = NORMALISERS[normaliser]
    except KeyError:
        raise ValueError(
            f"normaliser={normaliser!r}: expected one of {sorted(NORMALISERS)}"
        ) from None
    if not column_label:
        raise ValueError("column_label must not be empty")
    label = column_label.encode("utf-8")
    mac = hmac.new(keystore.blind_index_key(), digestmod=hashlib.sha256)
    mac.update(len(label).to_bytes(2, "big") + label)
    mac.update(normalise(value).encode("utf-8"))
    return mac.hexdigest()


class BlindIndexField(models.CharField):
    """Keeps `blind_index(label, <source>)` up to date on every save; None for empty or erased.

        email = EncryptedTextField(max_length=254, key_class=KeyClass.ACCOUNT)
        email_bidx = BlindIndexField(source="email", label="accounts.email", unique=True)

    Look up with `Model.objects.filter(email_bidx=blind_index("accounts.email", typed))`.
    """

    description = "Blind index of an encrypted field"

    def __init__(
        self, *args: Any, source: str, label: str, normaliser: str = "casefold", **kwargs: Any
    ) -> None:
        if normaliser not in NORMALISERS:
            raise TypeError(f"normaliser={normaliser!r}: expected one of {sorted(NORMALISERS)}")
        self.source = source
        self.label = label
        self.normaliser = normaliser
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs["label"] = self.label
        if self.normaliser != "casefold":
            kwargs["normaliser"] = self.normaliser
        for option, default in (("max_length", 64), ("null", True), ("blank", True)):
            if kwargs.get(option) == default:
                kwargs.pop(option)
        if kwargs.get("editable") is False:
            kwargs.pop("editable")
        else:
            kwargs["editable"] = True
        return name, path, args, kwargs

    def index_of(self, value: Any) -> str | None:
        """This column's index of a plaintext value; None for empty or erased values."""
        if value is None or is_erased(value):
            return None
        text = str(value)
        if not NORMALISERS[self.normaliser](text):
            return None
        return blind_index(self.label, text, normaliser=self.normaliser)

    def pre_save(self, model_instance: Any, add: bool) -> str | None:
        index = self.index_of(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, index)
        return index
