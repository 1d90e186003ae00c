"""The catalog walk of an erasure: every catalogued row about a batch of subjects is deleted,
anonymised or kept under a legal hold, as its catalog entry says (R14, R31, R32, R44).

No code per model: what happens to a row, and which values replace its personal fields, is read
from the entry (`tutela.policy.catalog`). One erasure is a batch of one; the retention sweep
passes hundreds, and each catalog entry still costs one statement per step for the whole batch.
"""

from __future__ import annotations

import calendar
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connections, models, router
from django.db.models import Count, Max, ProtectedError, QuerySet, signals
from django.http import HttpRequest

from tutela.audit.api import AccessEntry, Actor, access_record_many
from tutela.crypto.api import (
    ERASED,
    ERASED_BYTES,
    BlindIndexField,
    EncryptedBinaryField,
    EncryptedJSONField,
    EncryptedTextField,
    KeyClass,
    erased_column_value,
)
from tutela.policy.api import (
    Entry,
    Erasure,
    RetentionRule,
    catalog_entries,
    catalog_entry_for,
    current_policy,
)
from tutela.rights.models import ErasureRun, LegalHold

if TYPE_CHECKING:
    from tutela.policy.vocabulary import Duration

_ENCRYPTED = (EncryptedTextField, EncryptedJSONField, EncryptedBinaryField)
# Every key class but the financial one, kept for the records held 6 years (DESIGN.md).
SHREDDED_KEY_CLASSES: tuple[str, ...] = tuple(
    key_class for key_class in KeyClass.values if key_class != KeyClass.FINANCIAL
)
# Retention clocks that count from a date stored on the row; the others (a request closed,
# consent withdrawn, an account closed) start no later than the erasure itself.
_DATED_STARTS = frozenset({"transaction", "collection"})
_UNSET = object()


# --- What an entry's rows become ----------------------------------------------------------


def _erased_value(entry: Entry, model_field: models.Field, given: Any) -> Any:
    """The value written over one personal field; ImproperlyConfigured if none can be."""
    where = f"{entry.label}.{model_field.name}"
    if isinstance(model_field, _ENCRYPTED):
        if given is None and model_field.null:
            return None
        if given is _UNSET or given in ("", b"") or given is ERASED or given is ERASED_BYTES:
            return erased_column_value()
        raise ImproperlyConfigured(
            f"{where}: an encrypted field can only be erased (ERASED, '' or None), not replaced "
            f"by {given!r}"
        )
    if isinstance(model_field, BlindIndexField):
        return None
    if given is not _UNSET:
        # ERASED is a str subclass; database adapters want the plain type.
        return str(given) if isinstance(given, str) else given
    if model_field.null:
        return None
    if isinstance(model_field, models.CharField | models.TextField):
        return ""
    if model_field.has_default():
        return model_field.get_default()
    raise ImproperlyConfigured(
        f"{where}: erasure cannot empty this field; give its anonymised value in the catalog "
        "entry's anonymise= map"
    )


def overwrites(model: type[models.Model]) -> dict[str, Any]:
    """Field -> value that erasure writes over a row of this model (empty for DELETE).

    ANONYMISE: every personal field, with the entry's anonymise= values where given, else its
    empty value (the erased marker for encrypted fields). LEGAL_HOLD: only the fields in
    anonymise= (the minimisation). Either way a blind index of an overwritten field goes too:
    a keyed hash of an erased address would still tie the row to the person (R44).
    """
    entry = catalog_entry_for(model)
    if entry.erasure is Erasure.DELETE:
        return {}
    names = list(entry.anonymise)
    if entry.erasure is Erasure.ANONYMISE:
        names += [name for name in entry.fields if name not in entry.anonymise]
    values: dict[str, Any] = {}
    for name in names:
        model_field = model._meta.get_field(name)
        assert isinstance(model_field, models.Field)  # noqa: S101 - the drift check ensures it
        values[name] = _erased_value(entry, model_field, entry.anonymise.get(name, _UNSET))
    for model_field in model._meta.concrete_fields:
        if isinstance(model_field, BlindIndexField) and model_field.source in values:
            values[model_field.name] = None
    return values


def kept_categories(model: type[models.Model]) -> tuple[str, ...]:
    """The categories a held row still shows after erasure: fields neither minimised, nor
    encrypted under a key class that erasure shreds, nor the blind index of either."""
    entry = catalog_entry_for(model)
    if entry.erasure is not Erasure.LEGAL_HOLD:
        return ()
    gone = set(overwrites(model))
    kept: dict[str, None] = {}
    for name in entry.fields:
        model_field = model._meta.get_field(name)
        if name in gone:
            continue
        if _shredded(model_field):
            continue
        if isinstance(model_field, BlindIndexField) and (
            model_field.source in gone or _shredded(model._meta.get_field(model_field.source))
        ):
            continue
        kept.update(dict.fromkeys(entry.field_categories(name)))
    return tuple(kept)


def _shredded(model_field: Any) -> bool:
    """Encrypted under a key class that erasure shreds (unreadable after the shred step)."""
    return isinstance(model_field, _ENCRYPTED) and model_field.key_class in SHREDDED_KEY_CLASSES


def shredded_categories(labels: Iterable[str]) -> tuple[str, ...]:
    """The categories that shredding makes unreadable in these entries: those of fields
    encrypted under a key class erasure shreds."""
    by_label = {entry.label: entry for entry in catalog_entries()}
    categories: dict[str, None] = {}
    for label in labels:
        entry = by_label.get(label)
        if entry is None:
            continue
        for name in entry.fields:
            model_field = entry.model._meta.get_field(name)
            if (
                isinstance(model_field, _ENCRYPTED)
                and model_field.key_class in SHREDDED_KEY_CLASSES
            ):
                categories.update(dict.fromkeys(entry.field_categories(name)))
    return tuple(categories)


def erasure_problems() -> list[str]:
    """Catalog entries erasure could not carry out, as sentences (for the system check)."""
    problems = []
    for entry in catalog_entries():
        try:
            overwrites(entry.model)
        except ImproperlyConfigured as exc:
            problems.append(str(exc))
    return problems


def delete_order(entries: Iterable[Entry]) -> list[Entry]:
    """DELETE entries, rows pointing at another entry's rows first, so each delete removes its
    own rows instead of finding them gone with their parent (and counts them)."""
    pending = [entry for entry in entries if entry.erasure is Erasure.DELETE]
    ordered: list[Entry] = []
    while pending:
        referenced = {
            model_field.related_model
            for entry in pending
            for model_field in entry.model._meta.concrete_fields
            if model_field.is_relation and model_field.related_model is not entry.model
        }
        ready = [entry for entry in pending if entry.model not in referenced] or pending[:1]
        ordered.extend(ready)
        pending = [entry for entry in pending if entry not in ready]
    return ordered


# --- Finding the rows ---------------------------------------------------------------------


@dataclass
class Found:
    """Per catalog entry (label), the rows of each subject, and for held entries the latest
    date on them (the start of their retention clock)."""

    rows: dict[str, dict[str, int]] = field(default_factory=dict)
    latest: dict[str, dict[str, datetime]] = field(default_factory=dict)

    def of(self, subject: str) -> dict[str, int]:
        """label -> rows for one subject (entries with rows only)."""
        return {label: n[subject] for label, n in self.rows.items() if n.get(subject)}


def _subject_field(entry: Entry) -> models.Field:
    """The field at the end of the entry's subject path (a UUID, or text for the access log)."""
    model: Any = entry.model
    *path, last = entry.subject.split("__")
    for part in path:
        model = model._meta.get_field(part).related_model
    found = model._meta.get_field(last)
    assert isinstance(found, models.Field)  # noqa: S101 - the drift check resolves every path
    return found


def rows_of(entry: Entry, subjects: Sequence[Any]) -> QuerySet[Any]:
    """The entry's rows about any of the subjects (ids as text or UUIDs)."""
    if isinstance(_subject_field(entry), models.UUIDField):
        # Parsed here once: Django would parse each text id again for every query.
        values: list[Any] = [s if isinstance(s, uuid.UUID) else uuid.UUID(str(s)) for s in subjects]
    else:
        values = [str(s) for s in subjects]
    return entry.model._default_manager.filter(**{f"{entry.subject}__in": values})


def find(subjects: Sequence[str], entries: Iterable[Entry] | None = None) -> Found:
    """Count every entry's rows per subject: one grouped query per entry for the batch."""
    chosen = list(entries if entries is not None else catalog_entries())
    uuids = [uuid.UUID(str(s)) for s in subjects]
    return _find({entry.label: (entry, rows_of(entry, uuids)) for entry in chosen})


def _find(rows_by_label: dict[str, tuple[Entry, QuerySet[Any]]]) -> Found:
    found = Found()
    for label, (entry, rows) in rows_by_label.items():
        dated = [
            f.name
            for f in entry.model._meta.concrete_fields
            if isinstance(f, models.DateTimeField) and entry.erasure is Erasure.LEGAL_HOLD
        ]
        query = (
            rows.order_by()
            .values(entry.subject)
            .annotate(_rows=Count("pk"), **{f"_max{i}": Max(name) for i, name in enumerate(dated)})
        )
        counts: dict[str, int] = {}
        latest: dict[str, datetime] = {}
        for item in query:
            subject = str(item[entry.subject])
            counts[subject] = item["_rows"]
            dates = [item[f"_max{i}"] for i in range(len(dated)) if item[f"_max{i}"]]
            if dates:
                latest[subject] = max(dates)
        found.rows[label] = counts
        if latest:
            found.latest[label] = latest
    return found


def delete_rows(rows: QuerySet[Any]) -> dict[str, int]:
    """Delete a queryset's rows as Django's Collector would (cascades first, SET_NULL, PROTECT,
    many-to-many links), with one statement per table instead of loading every row as an
    instance (the Collector's way, and most of a bulk erasure's time). Falls back to
    QuerySet.delete() for what this does not cover: delete signals, inherited models, generic
    relations, rows that refer to rows of their own table, and on_delete handlers other than
    CASCADE, PROTECT, RESTRICT (treated as PROTECT), SET_NULL and DO_NOTHING.

    Returns rows deleted per model label.
    """
    model = rows.model
    opts = model._meta
    handled = (models.CASCADE, models.PROTECT, models.RESTRICT, models.SET_NULL, models.DO_NOTHING)
    if (
        opts.parents
        or opts.private_fields
        or signals.pre_delete.has_listeners(model)
        or signals.post_delete.has_listeners(model)
        or any(
            rel.related_model is model or (not rel.many_to_many and rel.on_delete not in handled)
            for rel in opts.related_objects
        )
    ):
        _, counts = rows.delete()
        return dict(counts)
    keys = rows.values("pk")
    counts = defaultdict(int)
    for rel in opts.related_objects:
        if rel.many_to_many:
            # Another model's many-to-many field to this one: only its link rows go.
            through = rel.through
            link = next(
                f.name for f in through._meta.fields if f.is_relation and f.related_model is model
            )
            _merge(counts, delete_rows(through._base_manager.filter(**{f"{link}__in": keys})))
            continue
        linked = rel.related_model._base_manager.filter(**{f"{rel.field.name}__in": keys})
        if rel.on_delete is models.CASCADE:
            _merge(counts, delete_rows(linked))
        elif rel.on_delete in (models.PROTECT, models.RESTRICT) and linked.exists():
            raise ProtectedError(
                f"{opts.label} rows are still referred to by {rel.related_model._meta.label} "
                f"({rel.field.name}, on_delete={rel.on_delete.__name__})",
                set(linked[:5]),
            )
        elif rel.on_delete is models.SET_NULL:
            linked.update(**{rel.field.name: None})
    for m2m in opts.many_to_many:
        through = m2m.remote_field.through
        link = m2m.m2m_field_name()
        _merge(counts, delete_rows(through._base_manager.filter(**{f"{link}__in": keys})))
    select, params = keys.query.sql_with_params()
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {quote(opts.db_table)} WHERE {quote(opts.pk.column)} IN ({select})",  # noqa: S608 - our identifiers, compiled parameters
            params,
        )
        if cursor.rowcount:
            counts[opts.label] += cursor.rowcount
    return dict(counts)


def _merge(into: dict[str, int], counts: dict[str, int]) -> None:
    for label, count in counts.items():
        into[label] = into.get(label, 0) + count


# --- Holds --------------------------------------------------------------------------------


def after(start: datetime, duration: Duration) -> datetime:
    """`start` plus a calendar duration (a 29 February start ends on the 28th in other years)."""
    months = start.month - 1 + duration.years * 12 + duration.months
    year, month = start.year + months // 12, months % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day) + timedelta(
        weeks=duration.weeks, days=duration.days
    )


@dataclass(frozen=True)
class HoldPlan:
    """Rows of one subject kept under one retention rule, and until when."""

    retention: str
    sources: tuple[dict[str, Any], ...]  # {"label", "name", "rows"}
    categories: tuple[str, ...]  # what stays readable
    starts_at: datetime
    ends_at: datetime | None
    reason: str


@dataclass(frozen=True)
class Walk:
    """What a walk reads from the catalog and the policy, worked out once per call."""

    entries: tuple[Entry, ...]
    overwrites: dict[str, dict[str, Any]]
    kept: dict[str, tuple[str, ...]]
    rules: dict[str, RetentionRule]
    names: dict[str, str]  # label -> verbose name (plural), translated once


def walk() -> Walk:
    """The catalog and policy as erasure uses them, now."""
    entries = catalog_entries()
    return Walk(
        entries=entries,
        overwrites={entry.label: overwrites(entry.model) for entry in entries},
        kept={entry.label: kept_categories(entry.model) for entry in entries},
        rules={rule.key: rule for rule in current_policy().retention},
        names={entry.label: str(entry.model._meta.verbose_name_plural) for entry in entries},
    )


def hold_plans(
    found: Found, subject: str, *, now: datetime, plan: Walk | None = None
) -> list[HoldPlan]:
    """The holds one subject's held rows need, one per retention rule."""
    plan = plan or walk()
    grouped: dict[str, list[Entry]] = defaultdict(list)
    counts = found.of(subject)
    for entry in plan.entries:
        if entry.erasure is Erasure.LEGAL_HOLD and counts.get(entry.label):
            grouped[entry.retention].append(entry)
    plans = []
    for key, entries in grouped.items():
        rule = plan.rules[key]
        dates = [found.latest.get(e.label, {}).get(subject) for e in entries]
        known = [d for d in dates if d is not None]
        starts = max(known) if known and rule.start in _DATED_STARTS else now
        duration = rule.duration
        plans.append(
            HoldPlan(
                retention=key,
                sources=tuple(
                    {"label": e.label, "name": plan.names[e.label], "rows": counts[e.label]}
                    for e in entries
                ),
                categories=tuple(dict.fromkeys(c for e in entries for c in plan.kept[e.label])),
                starts_at=starts,
                ends_at=after(starts, duration) if duration is not None else None,
                reason=" ".join((rule.reason or rule.policy_text or rule.summary).split()),
            )
        )
    return plans


# --- Erasing ------------------------------------------------------------------------------


@dataclass
class RowsResult:
    """What the walk did to a batch: rows before, then deleted or changed, per entry label."""

    found: Found
    deleted: dict[str, int] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)
    holds: list[LegalHold] = field(default_factory=list)


def _hold(holds: list[LegalHold], subjects: Sequence[str]) -> list[LegalHold]:
    """Record the holds: one per subject and retention rule, created, or extended when a later
    erasure needs it longer (a re-run of the same one changes nothing). Returns those written."""
    existing = {
        (str(hold.subject_id), hold.retention): hold
        for hold in LegalHold.objects.filter(subject_id__in=list(subjects))
    }
    new, extended = [], []
    for hold in holds:
        known = existing.get((str(hold.subject_id), hold.retention))
        if known is None:
            new.append(hold)
        elif known.ends_at is not None and (hold.ends_at is None or hold.ends_at > known.ends_at):
            known.starts_at, known.ends_at = hold.starts_at, hold.ends_at
            known.sources, known.reason = hold.sources, hold.reason
            extended.append(known)
    LegalHold.objects.bulk_update(extended, ["starts_at", "ends_at", "sources", "reason"])
    return [*LegalHold.objects.bulk_create(new), *extended]


def _log_entries(
    found: Found, subjects: Sequence[str], purpose: str, detail: str, plan: Walk
) -> list[AccessEntry]:
    by_label = {entry.label: entry for entry in plan.entries}
    log: list[AccessEntry] = []
    for subject in subjects:
        touched: dict[str, dict[str, None]] = defaultdict(dict)
        for label in found.of(subject):
            entry = by_label[label]
            if entry.erasure is Erasure.DELETE:
                touched["delete"].update(dict.fromkeys(entry.categories))
            elif entry.erasure is Erasure.ANONYMISE:
                touched["anonymise"].update(dict.fromkeys(entry.categories))
            else:
                for name in plan.overwrites[label]:
                    if name in entry.fields:
                        touched["change"].update(dict.fromkeys(entry.field_categories(name)))
        log.extend(
            AccessEntry(subject, tuple(cats), purpose, action, detail)
            for action, cats in touched.items()
            if cats
        )
    return log


def rows_erase(
    *,
    subjects: Sequence[str],
    actor: Actor,
    purpose: str,
    detail: str,
    now: datetime,
    run: ErasureRun | None = None,
    request: HttpRequest | None = None,
) -> RowsResult:
    """Delete, anonymise or hold every catalogued row of the subjects; the caller holds the
    transaction (all of it commits, or none).

    Side effects: held rows minimised (their entry's anonymise= fields) and a LegalHold per
    subject and retention rule with its end date (extended if one exists); anonymised rows
    overwritten; deleted rows deleted, children first, with what refers to them (delete_rows);
    access-log events per subject (delete, anonymise, change) with the categories touched.
    Keeps: held rows' other fields, and every encrypted value as ciphertext (shredding the
    keys is the next step's job).
    """
    plan = walk()
    uuids = [uuid.UUID(str(s)) for s in subjects]
    subjects = [str(s) for s in uuids]
    rows = {entry.label: (entry, rows_of(entry, uuids)) for entry in plan.entries}
    found = _find(rows)
    result = RowsResult(found=found)
    holds = [
        LegalHold(
            subject_id=subject,
            run=run,
            retention=hold.retention,
            sources=list(hold.sources),
            starts_at=hold.starts_at,
            ends_at=hold.ends_at,
            reason=hold.reason,
            created_at=now,
            created_by=actor.label,
        )
        for subject in subjects
        for hold in hold_plans(found, subject, now=now, plan=plan)
    ]
    for entry in plan.entries:
        values = plan.overwrites[entry.label]
        if entry.erasure is Erasure.DELETE or not values or not found.rows[entry.label]:
            continue
        result.changed[entry.label] = rows[entry.label][1].update(**values)
    deleted: dict[str, int] = {}
    for entry in delete_order(plan.entries):
        if found.rows[entry.label]:
            _merge(deleted, delete_rows(rows[entry.label][1]))
    # Cascades are counted under the model they removed; only catalogued models are reported.
    result.deleted = {label: n for label, n in deleted.items() if label in rows and n}
    result.holds = _hold(holds, subjects)
    log = _log_entries(found, subjects, purpose, detail, plan)
    if log:
        access_record_many(actor=actor, entries=log, request=request)
    return result
