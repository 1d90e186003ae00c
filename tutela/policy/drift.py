"""The drift check: what the code stores must match what the policy file declares.

`manage.py tutela_check` and the `tutela` system check both call `drift_problems()`; CI runs
the command, and start-up refuses to run while it finds anything (DESIGN.md, point 4).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, FieldError
from django.db import models

from tutela.policy.catalog import Entry, catalog_entry, catalog_exemption, looks_personal
from tutela.policy.schema import Policy


@dataclass(frozen=True)
class Drift:
    """One disagreement between the code and the policy file."""

    where: str  # `app_label.Model` or `app_label.Model.field`
    problem: str

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}"


def _uncatalogued_fields(model: type[models.Model], entry: Entry | None) -> Iterator[Drift]:
    known = set(entry.fields) | set(entry.not_personal) if entry else set()
    for model_field in model._meta.concrete_fields:
        if model_field.primary_key or model_field.name in known:
            continue
        if looks_personal(model_field):
            yield Drift(
                f"{model._meta.label}.{model_field.name}",
                "looks like personal data but is not in the catalog (register it in the app's "
                "privacy.py with its category, or list it under not_personal with the reason)",
            )


def _entry_against_policy(entry: Entry, policy: Policy) -> Iterator[Drift]:
    label = entry.label
    for name in [*entry.fields, *entry.not_personal, *entry.anonymise]:
        try:
            entry.model._meta.get_field(name)
        except FieldDoesNotExist:
            yield Drift(label, f"the catalog names a field {name!r} the model does not have")
    try:
        entry.model._default_manager.filter(**{entry.subject: None}).query  # noqa: B018
    except FieldError as exc:
        yield Drift(label, f"subject path {entry.subject!r} does not resolve: {exc}")
    declared = {category.key for category in policy.categories}
    for name in entry.fields:
        for category in entry.field_categories(name):
            if category not in declared:
                yield Drift(
                    f"{label}.{name}", f"category {category!r} is not declared in the policy"
                )
    if entry.purpose not in {purpose.key for purpose in policy.purposes}:
        yield Drift(label, f"purpose {entry.purpose!r} is not declared in the policy")
    rule = next((rule for rule in policy.retention if rule.key == entry.retention), None)
    if rule is None:
        yield Drift(label, f"retention rule {entry.retention!r} is not in the policy")
    else:
        covered = set(policy.covered_categories(rule))
        for category in sorted(set(entry.categories) - covered):
            if category in declared:
                yield Drift(
                    label, f"retention rule {rule.key!r} does not cover category {category!r}"
                )
    processors = {processor.key: processor for processor in policy.processors}
    for key in (settings.TUTELA_HOSTING_PROCESSOR, *entry.processors):
        processor = processors.get(key)
        if processor is None:
            yield Drift(label, f"processor {key!r} is not in the policy's processors register")
            continue
        for category in sorted(set(entry.categories) - set(processor.categories)):
            yield Drift(
                label,
                f"reaches processor {key!r} with category {category!r}, which the policy does "
                "not declare for that processor",
            )


def drift_problems(policy: Policy) -> list[Drift]:
    """Every disagreement between the installed models, the catalog and the policy."""
    problems: list[Drift] = []
    for model in apps.get_models():
        if catalog_exemption(model) is not None:
            continue
        entry = catalog_entry(model)
        problems.extend(_uncatalogued_fields(model, entry))
        if entry is not None:
            problems.extend(_entry_against_policy(entry, policy))
    return problems
