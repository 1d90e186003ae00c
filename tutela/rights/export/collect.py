"""Walking the personal-data catalog for one subject: every catalogued row, decrypted in bulk.

No code per model: each catalog entry says which fields are personal and with which categories;
the rest of the model's concrete fields are context (dates, statuses, references). Queries: one
per catalog entry (with its non-personal foreign keys joined), plus one key-store query that
opens every data key the rows need (`data_keys_prefetch`), however many rows there are.

Each entry's SELECT is compiled once per process and run through `Manager.raw()` with the new
subject as its parameter: compiling costs Django about a quarter of a millisecond per query,
which for two dozen sources was a fifth of an export (docs/benchmarks.md). Entries that join a
related thing (a contest's title) go through the ORM each time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from django.contrib.auth import get_user_model
from django.db import connections, models, router

from tutela.audit.api import AccessEvent, ActorKind
from tutela.crypto.api import (
    BlindIndexField,
    EncryptedBinaryField,
    EncryptedJSONField,
    EncryptedTextField,
    data_keys_prefetch,
    is_erased,
)
from tutela.policy.api import Entry, Policy, catalog_entries, catalog_entry, export_section_of
from tutela.rights.export.values import (
    ERASED_ITEM,
    file_item,
    json_value,
    value_item,
    withheld_item,
)

# fideslang's credentials branch (passwords, passkeys, authenticator secrets, recovery codes).
_CREDENTIALS = "user.authorization"
CREDENTIAL_REASON = (
    "A sign-in secret (a password hash, a passkey, an authenticator-app secret or recovery "
    "codes). We hold it but never copy it into an export, so that an export that went astray "
    "could not be used to sign in as you. You can change or remove it in your account."
)

Kind = Literal["value", "withheld", "file", "reference", "related"]
# (stored value, the row's file-name stem "app-model-id-") -> what the export shows.
Convert = Callable[[Any, str], Any]
ACCESS_LOG = "access_log"
RECORDS = "records"


@dataclass(frozen=True)
class Column:
    """One exported field of a catalogued model and how its value is read."""

    name: str
    attname: str
    label: str
    # Policy categories of a personal field; empty for context (dates, statuses, references).
    categories: tuple[str, ...]
    kind: Kind
    internal_type: str
    convert: Convert = field(compare=False, repr=False)
    choices: dict[str, str] = field(default_factory=dict)
    reason: str = ""

    @property
    def personal(self) -> bool:
        """Whether the catalog declares this field personal."""
        return bool(self.categories)


@dataclass(frozen=True)
class Plan:
    """How one catalog entry is read: its columns and the relations joined."""

    columns: tuple[Column, ...]
    joins: tuple[str, ...]


@dataclass
class Source:
    """One catalog entry and the subject's rows in it, already decrypted and converted."""

    entry: Entry
    section: str
    columns: tuple[Column, ...]
    count: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def label(self) -> str:
        """`app_label.ModelName`."""
        return self.entry.label


# --- converters (one per kind of cell, chosen once per column) -------------------------------


def _same(value: Any, stem: str) -> Any:
    return value


def _iso(value: Any, stem: str) -> Any:
    return None if value is None else value.isoformat()


def _json(value: Any, stem: str) -> Any:
    return json_value(value)


# Django's own column types whose values are already JSON (str, int, bool, None) or need only
# isoformat(): converted without json_value's type tests. Exact classes only: a subclass (a
# country field, say) may return objects of its own, which json_value handles.
_SAME: frozenset[type] = frozenset(
    (
        models.CharField,
        models.TextField,
        models.EmailField,
        models.SlugField,
        models.GenericIPAddressField,
        models.BooleanField,
        models.IntegerField,
        models.BigIntegerField,
        models.SmallIntegerField,
        models.PositiveIntegerField,
        models.PositiveBigIntegerField,
        models.PositiveSmallIntegerField,
    )
)
_ISO: frozenset[type] = frozenset((models.DateTimeField, models.DateField, models.TimeField))


def _context(model_field: models.Field[Any, Any]) -> Convert:
    """A non-personal column's converter, chosen by its type."""
    kind = type(model_field)
    return _same if kind in _SAME else _iso if kind in _ISO else _json


def _personal(value: Any, stem: str) -> Any:
    return value_item(value)


def _text(value: Any, stem: str) -> Any:
    return None if value is None else str(value)


def _file(name: str, inline_limit: int) -> Convert:
    def convert(value: Any, stem: str) -> Any:
        return file_item(value, name=stem + name, inline_limit=inline_limit)

    return convert


def _withheld(reason: str) -> Convert:
    item = withheld_item(reason)

    def convert(value: Any, stem: str) -> Any:
        if value is None or value == "":
            return {"state": "value", "value": value}  # nothing held: say so, as for any field
        return ERASED_ITEM if is_erased(value) else item

    return convert


# --- planning ----------------------------------------------------------------------------------


def _binary(model_field: models.Field[Any, Any]) -> bool:
    return isinstance(model_field, models.BinaryField | EncryptedBinaryField)


def _column(
    model_field: models.Field[Any, Any],
    categories: tuple[str, ...],
    kind: Kind,
    convert: Convert,
    *,
    attname: str | None = None,
    reason: str = "",
) -> Column:
    choices = {str(value): str(label) for value, label in model_field.flatchoices}
    return Column(
        name=model_field.name,
        attname=attname or model_field.attname,
        label=str(model_field.verbose_name),
        categories=categories,
        kind=kind,
        internal_type=model_field.get_internal_type(),
        convert=convert,
        choices=choices if model_field.choices else {},
        reason=reason,
    )


def _personal_column(entry: Entry, name: str, policy: Policy, inline_limit: int) -> Column:
    opts = entry.model._meta
    model_field = opts.get_field(name)
    assert isinstance(model_field, models.Field)  # noqa: S101 - the drift check guarantees it
    categories = entry.field_categories(name)
    if any(policy.category(key).fideslang.startswith(_CREDENTIALS) for key in categories):
        convert = _withheld(CREDENTIAL_REASON)
        return _column(model_field, categories, "withheld", convert, reason=CREDENTIAL_REASON)
    if "data_export" in categories:
        # An earlier export is a copy of what this one shows afresh: listing it suffices, and
        # copying it would nest every earlier export inside each new one.
        reason = "A copy of your data made earlier at your request; this export shows it afresh."
        return _column(model_field, categories, "withheld", _withheld(reason), reason=reason)
    if isinstance(model_field, BlindIndexField):
        source = str(opts.get_field(model_field.source).verbose_name)  # type: ignore[union-attr]
        reason = (
            f"A keyed hash of “{source}”, used only to find your record; it tells nothing that "
            f"“{source}”, shown here, does not."
        )
        return _column(model_field, categories, "withheld", _withheld(reason), reason=reason)
    if _binary(model_field):
        return _column(model_field, categories, "file", _file(name, inline_limit))
    return _column(model_field, categories, "value", _personal)


def plan_for(entry: Entry, policy: Policy, *, inline_limit: int) -> Plan:
    """The columns to export (personal first, then context) and the relations to join."""
    columns = [_personal_column(entry, name, policy, inline_limit) for name in entry.fields]
    direct_subject = entry.subject if "__" not in entry.subject else None
    user_model = get_user_model()
    joins: list[str] = []
    for model_field in entry.model._meta.concrete_fields:
        if (
            model_field.name in entry.fields
            or model_field.primary_key
            or direct_subject in (model_field.name, model_field.attname)
            or isinstance(model_field, BlindIndexField)  # a keyed hash: no meaning to a reader
        ):
            continue
        if model_field.is_relation:
            target = model_field.related_model
            if target is user_model:  # the person's own identity, or a staff member's account
                continue
            if isinstance(target, type) and catalog_entry(target) is not None:
                # Another catalogued row of theirs (the order of a line): its id, to match them.
                columns.append(_column(model_field, (), "reference", _text))
            else:
                # A thing that is nobody's data (a contest, a product): shown by its name.
                joins.append(model_field.name)
                columns.append(_column(model_field, (), "related", _text, attname=model_field.name))
        elif _binary(model_field):
            columns.append(_column(model_field, (), "file", _file(model_field.name, inline_limit)))
        else:
            columns.append(_column(model_field, (), "value", _context(model_field)))
    return Plan(tuple(columns), tuple(joins))


# --- reading -----------------------------------------------------------------------------------


class _Plain:
    """A row read as plain values (a model without encrypted fields): attributes, no model."""

    pk: Any


@dataclass(frozen=True)
class _Reader:
    """An entry's plan and, where it joins nothing, its SELECT compiled once.

    Rows of a model with encrypted fields become model instances (`Model.from_db`, as the ORM
    builds them), since decryption is bound to the instance: its table, column and row. Rows of
    a model without any stay plain values, a few microseconds cheaper a row (security logs are
    the longest sources we hold).
    """

    entry: Entry
    policy: Policy
    inline_limit: int
    alias: str
    plan: Plan
    sql: str | None
    params: tuple[Any, ...]
    # Positions of the subject in `params`, and the field that prepares it for the database.
    slots: tuple[int, ...]
    subject_field: models.Field[Any, Any]
    # The columns the SELECT reads (by attname, primary key first for plain rows).
    selected: tuple[str, ...]
    instances: bool

    def rows(self, subject_id: str) -> list[Any]:
        """The subject's rows: model instances, or _Plain rows with the same attributes."""
        entry, plan = self.entry, self.plan
        if self.sql is None:
            queryset = entry.rows_for(subject_id)
            return list(queryset.select_related(*plan.joins) if plan.joins else queryset)
        params = list(self.params)
        value = _prepared(self.subject_field, subject_id, self.alias)
        for slot in self.slots:
            params[slot] = value
        connection = connections[self.alias]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            fetched = cursor.fetchall()
        if not fetched:
            return []
        converters = _db_converters(entry.model, self.selected, connection)
        names, model, alias = self.selected, entry.model, self.alias
        rows: list[Any] = []
        for values in fetched:
            if converters:
                values = list(values)
                for position, functions, expression in converters:
                    converted = values[position]
                    for function in functions:
                        converted = function(converted, expression, connection)
                    values[position] = converted
            if self.instances:
                rows.append(model.from_db(alias, names, values))
            else:
                row = _Plain()
                row.__dict__.update(zip(names, values, strict=True))
                row.pk = values[0]
                rows.append(row)
        return rows


def _db_converters(
    model: type[models.Model], attnames: tuple[str, ...], connection: Any
) -> list[tuple[int, list[Any], Any]]:
    """What Django applies to each column read (dates from text on SQLite, booleans, UUIDs)."""
    result = []
    table = model._meta.db_table
    for position, attname in enumerate(attnames):
        model_field = model._meta.get_field(attname)
        assert isinstance(model_field, models.Field)  # noqa: S101 - a concrete column
        expression = model_field.get_col(table)
        # As the SQL compiler does: the backend's converters, then the field's.
        functions = [
            *connection.ops.get_db_converters(expression),
            *expression.get_db_converters(connection),
        ]
        if functions:
            result.append((position, functions, expression))
    return result


_readers: dict[tuple[int, str], _Reader] = {}
_SENTINEL = "00000000-0000-4000-8000-00000000e4b7"
_ENCRYPTED = (EncryptedTextField, EncryptedJSONField, EncryptedBinaryField)


def _prepared(model_field: models.Field[Any, Any], value: str, alias: str) -> Any:
    """A subject id as the ORM would send it for `field = value` (a UUID's hex on SQLite)."""
    return model_field.get_db_prep_value(
        model_field.get_prep_value(value), connections[alias], prepared=True
    )


def _subject_field(entry: Entry) -> models.Field[Any, Any]:
    model: Any = entry.model
    *path, last = entry.subject.split("__")
    for name in path:
        model = model._meta.get_field(name).related_model
    model_field = model._meta.get_field(last)
    assert isinstance(model_field, models.Field)  # noqa: S101 - a concrete column
    return model_field


def reader_for(entry: Entry, policy: Policy, *, inline_limit: int) -> _Reader:
    """The entry's reader, built on first use in this process (and again if anything changed)."""
    alias = router.db_for_read(entry.model) or "default"
    reader = _readers.get((id(entry), alias))
    if (
        reader is not None
        and reader.entry is entry
        and reader.policy is policy
        and reader.inline_limit == inline_limit
    ):
        return reader
    plan = plan_for(entry, policy, inline_limit=inline_limit)
    subject_field = _subject_field(entry)
    opts = entry.model._meta
    instances = any(isinstance(f, _ENCRYPTED) for f in opts.concrete_fields)
    if instances:  # every column, in model order: from_db's fast path
        selected = tuple(f.attname for f in opts.concrete_fields)
    else:
        selected = tuple(dict.fromkeys((opts.pk.attname, *(c.attname for c in plan.columns))))
    sql: str | None = None
    params: tuple[Any, ...] = ()
    slots: tuple[int, ...] = ()
    if not plan.joins:
        queryset = entry.rows_for(_SENTINEL)
        compiled, params = queryset.values_list(*selected).query.sql_with_params()
        sentinel = _prepared(subject_field, _SENTINEL, alias)
        slots = tuple(i for i, param in enumerate(params) if param == sentinel)
        # Otherwise the ORM compiles the query each time: a shape this does not foresee.
        if slots and compiled.count("%s") == len(params):
            sql = compiled
    reader = _Reader(
        entry, policy, inline_limit, alias, plan, sql, params, slots, subject_field, selected,
        instances,
    )  # fmt: skip
    _readers[(id(entry), alias)] = reader
    return reader


def _convert_rows(rows: list[Any], source: Source) -> list[dict[str, Any]]:
    """Model instances as export rows: personal values decrypted, context alongside."""
    personal = [(c.name, c.attname, c.convert) for c in source.columns if c.personal]
    context = [(c.name, c.attname, c.convert) for c in source.columns if not c.personal]
    opts = source.entry.model._meta
    prefix = f"{opts.app_label}-{opts.model_name}"
    result = []
    for row in rows:
        row_id = str(row.pk)
        stem = f"{prefix}-{row_id}-"
        result.append(
            {
                "id": row_id,
                "values": {n: conv(getattr(row, att), stem) for n, att, conv in personal},
                "context": {n: conv(getattr(row, att), stem) for n, att, conv in context},
            }
        )
    return result


def _access_events(events: list[Any], policy: Policy) -> list[dict[str, Any]]:
    """The access log about the subject, newest first, as their account page shows it."""
    purposes = {p.key: p.label for p in policy.purposes}
    categories = {c.key: c.label for c in policy.categories}
    actions = dict(AccessEvent.Action.choices)
    kinds = dict(ActorKind.choices)
    result = []
    for event in sorted(events, key=lambda event: event.sequence, reverse=True):
        keys = event.categories.split(",") if event.categories else []
        result.append(
            {
                "occurred_at": event.occurred_at.isoformat(),
                # Staff by first name and role ("Sam (support)"), jobs by name, the person as "you".
                "who": event.actor_label,
                "actor_kind": event.actor_kind,
                "actor_kind_label": str(kinds.get(event.actor_kind, event.actor_kind)),
                "role": event.actor_role,
                "action": event.action,
                "action_label": str(actions.get(event.action, event.action)),
                "purpose": event.purpose,
                "purpose_label": purposes.get(event.purpose, event.purpose),
                "categories": keys,
                "category_labels": [categories.get(key, key) for key in keys],
                "detail": event.detail,
                # Where an access came from is the subject's data only when they acted themselves;
                # a staff member's or a job's address is theirs.
                "ip": (event.ip or None) if event.actor_kind == ActorKind.CUSTOMER else None,
            }
        )
    return result


def collect_sources(
    subject_id: str, policy: Policy, *, inline_limit: int
) -> tuple[list[Source], list[dict[str, Any]]]:
    """Every catalog entry with the subject's rows, and the access log about them."""
    loaded: list[tuple[Source, list[Any]]] = []
    events: list[Any] = []
    for entry in catalog_entries():
        reader = reader_for(entry, policy, inline_limit=inline_limit)
        rows = reader.rows(subject_id)
        if entry.model is AccessEvent:
            events = rows  # shown as the access log, not as raw rows
            loaded.append((Source(entry, ACCESS_LOG, reader.plan.columns, len(rows)), []))
            continue
        section = str(export_section_of(entry.model) or RECORDS)
        loaded.append((Source(entry, section, reader.plan.columns, len(rows)), rows))
    # One key-store query for every data key of every row, instead of one per row and class.
    data_keys_prefetch(row for _, rows in loaded for row in rows if not isinstance(row, _Plain))
    for source, rows in loaded:
        source.rows = _convert_rows(rows, source)
    return [source for source, _ in loaded], _access_events(events, policy)
