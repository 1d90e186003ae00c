"""The personal-data catalog: where each kind of personal data is stored, and what rules apply.

Each app that stores personal data registers its models here, from its `privacy.py` (imported by
PolicyConfig.ready()). Export, erasure, restriction, retention and the drift check walk this
catalog; none of them has code per model (DESIGN.md, "The personal-data catalog").

Hand-written because no library maps Django models to a policy file's categories, purposes and
retention rules; fideslang describes categories but not where a Django app stores them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.db import models
from django.db.models import QuerySet


class Erasure(StrEnum):
    """What an erasure request does to a catalogued row (R14)."""

    DELETE = "delete"
    ANONYMISE = "anonymise"
    # Kept while a legal obligation runs (financial records: 6 years), minimised meanwhile.
    LEGAL_HOLD = "legal_hold"


@dataclass(frozen=True)
class Entry:
    """One model that stores personal data, with the rules the policy file gives it."""

    model: type[models.Model]
    # ORM lookup path from the model to the subject's pseudonymous id, e.g. "subject_id" or
    # "user__subject_id"; the walker filters on it, so no per-model code is needed.
    subject: str
    # Personal field -> the policy category it holds (a tuple where one column holds several,
    # e.g. a history of changes to any profile field).
    fields: Mapping[str, str | tuple[str, ...]]
    purpose: str
    erasure: Erasure
    retention: str
    # Values written over personal fields when erasure is ANONYMISE (or minimisation under a hold).
    anonymise: Mapping[str, Any] = field(default_factory=dict)
    # Fields whose names look personal but are not, with the reason (checked by tutela_check).
    not_personal: Mapping[str, str] = field(default_factory=dict)
    # Processors these rows reach besides the database host (settings.TUTELA_HOSTING_PROCESSOR),
    # e.g. the email provider for correspondence; the drift check holds them to the policy (R26).
    processors: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """`app_label.ModelName`, as in messages and exports."""
        return self.model._meta.label

    @property
    def categories(self) -> tuple[str, ...]:
        """The distinct categories this model stores, in field order."""
        return tuple(dict.fromkeys(key for keys in self.fields.values() for key in _keys(keys)))

    def field_categories(self, name: str) -> tuple[str, ...]:
        """The categories one personal field holds."""
        return _keys(self.fields[name])

    def rows_for(self, subject_id: str) -> QuerySet[Any]:
        """Every row of this model about one subject."""
        return self.model._default_manager.filter(**{self.subject: subject_id})


def _keys(categories: str | tuple[str, ...]) -> tuple[str, ...]:
    return (categories,) if isinstance(categories, str) else categories


_entries: dict[type[models.Model], Entry] = {}
_exempt: dict[type[models.Model], str] = {}


def catalog_register(
    model: type[models.Model],
    *,
    subject: str,
    fields: Mapping[str, str | tuple[str, ...]],
    purpose: str,
    erasure: Erasure,
    retention: str,
    anonymise: Mapping[str, Any] | None = None,
    not_personal: Mapping[str, str] | None = None,
    processors: tuple[str, ...] = (),
) -> Entry:
    """Declare a model's personal fields; registering a model twice is a programming error."""
    if model in _entries:
        raise ValueError(f"{model._meta.label} is already in the personal-data catalog")
    entry = Entry(
        model=model,
        subject=subject,
        fields=dict(fields),
        purpose=purpose,
        erasure=erasure,
        retention=retention,
        anonymise=dict(anonymise or {}),
        not_personal=dict(not_personal or {}),
        processors=processors,
    )
    _entries[model] = entry
    return entry


def catalog_exempt(model: type[models.Model], *, reason: str) -> None:
    """Declare that a model holds no personal data although a field name suggests it might."""
    if not reason.strip():
        raise ValueError("an exemption from the catalog needs a reason")
    _exempt[model] = reason


def catalog_exemption(model: type[models.Model]) -> str | None:
    """Why a model is exempt from the catalog, or None."""
    return _exempt.get(model)


def catalog_entries() -> tuple[Entry, ...]:
    """Every registered model, in registration order."""
    return tuple(_entries.values())


def catalog_entry(model: type[models.Model]) -> Entry | None:
    """The catalog entry of a model, if it stores personal data."""
    return _entries.get(model)


def catalog_entry_for(model: type[models.Model]) -> Entry:
    """The catalog entry of a model that must be catalogued; LookupError otherwise."""
    entry = _entries.get(model)
    if entry is None:
        raise LookupError(f"{model._meta.label} is not in the personal-data catalog")
    return entry


def rows_for_subject(subject_id: str) -> Iterator[tuple[Entry, QuerySet[Any]]]:
    """For one subject, every catalogued model with the queryset of rows that concern them."""
    for entry in _entries.values():
        yield entry, entry.rows_for(subject_id)


# --- The drift check's view of "looks personal" ---------------------------------------------
_PERSONAL_NAME = re.compile(
    r"(^|_)(e?mail|phone|mobile|tel|name|surname|address|postcode|zip|city|street|ip|birth|dob"
    r"|note|notes|message|body|comment|text|recording|card|iban|passport|location|company)($|_)",
)
_PERSONAL_TYPES: tuple[type[models.Field], ...] = (models.EmailField, models.GenericIPAddressField)


def looks_personal(model_field: models.Field) -> bool:
    """A heuristic for fields that probably hold personal data (name or type).

    Relations are skipped: a foreign key points at a row that is itself checked.
    """
    if model_field.is_relation:
        return False
    if getattr(model_field, "holds_personal_data", False):  # encrypted fields say so
        return True
    if isinstance(model_field, _PERSONAL_TYPES):
        return True
    return bool(_PERSONAL_NAME.search(model_field.name))
