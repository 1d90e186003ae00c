"""Encrypted model fields: AES-256-GCM per value, one data key per subject and key class.

    class Customer(models.Model):
        id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
        subject_id = models.UUIDField(default=uuid.uuid4, editable=False)
        full_name = EncryptedTextField(max_length=150, key_class=KeyClass.ACCOUNT)

Reading: the database value is loaded into a `Sealed` wrapper and decrypted on first attribute
access, using the instance's subject and row id; the plaintext is then cached on the instance.
Writing: `pre_save` encrypts; the attribute keeps the plaintext. A value whose key was shredded
reads as ERASED; a ciphertext that does not belong to its row raises CiphertextError.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable
from typing import Any, NoReturn

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django import forms
from django.core import checks, exceptions
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.expressions import Col
from django.db.models.lookups import Lookup
from django.db.models.query_utils import DeferredAttribute
from django.utils.functional import cached_property

from tutela.crypto import cipher, keystore
from tutela.crypto.blind_index import BlindIndexField
from tutela.crypto.errors import CiphertextError, EncryptionError
from tutela.crypto.markers import ERASED, ERASED_BYTES, is_erased
from tutela.crypto.models import DataKey, KeyClass

_MIN_SEALED = 1 + cipher.NONCE_BYTES + cipher.TAG_BYTES
if cipher.NONCE_BYTES != 12:  # the read path slices with literals [1:13] to stay fast
    raise ImportError("open_sealed assumes a 12-byte nonce")


class _RowState:
    """Per instance (and subject/row attribute pair): the context, keys used, values opened.

    Kept in instance.__dict__ under a name no model field can have. Replaced as soon as the
    instance's subject or row id changes (compared by identity), which also forgets the opened
    ciphertexts: a row copied under a new id is re-encrypted on save, never given stale bytes.
    """

    __slots__ = ("keys", "opened", "raw_row", "raw_subject", "row_part", "subject")

    def __init__(self, raw_subject: Any, raw_row: Any, subject: str, row_part: bytes) -> None:
        self.raw_subject = raw_subject
        self.raw_row = raw_row
        self.subject = subject
        self.row_part = row_part
        self.keys: dict[str, Any] = {}  # key class -> AESGCM or SHREDDED
        self.opened: dict[str, tuple[bytes, Any]] = {}  # attname -> (ciphertext, plaintext)


class Sealed(bytes):
    """A ciphertext as loaded from the database, not yet decrypted (decrypted on access).

    A bytes subclass because it is built in C: one is made for every encrypted column of every
    loaded row, so a Python-level wrapper costs measurably on each page. It prints as a
    placeholder, never as data, wherever it escapes (`values()`, `values_list()`).
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<Sealed {len(self)} bytes>"

    __str__ = __repr__

    @property
    def blob(self) -> bytes:
        """The stored bytes."""
        return bytes(self)


class Ciphertext(bytes):
    """Bytes that `pre_save` produced; the only thing an encrypted column accepts for storage."""

    __slots__ = ()


class EncryptedAttribute(DeferredAttribute):
    """Decrypts on first access and caches the plaintext on the instance.

    The common case (a loaded ciphertext whose key this instance already used) is decrypted
    right here, with the field's constants copied onto the descriptor: this is the hot path of
    every page that shows personal data, measured by bench/crypto_bench.py against raw AES-GCM.
    Everything else (first key of an instance, erased values, errors) goes to the field.
    """

    field: EncryptedField

    def __init__(self, field: Any) -> None:
        super().__init__(field)
        self.attname = field.attname
        self.fast: tuple[str, str, str, str, bytes, Callable[[bytes], Any]] | None = None

    def _fast(self) -> tuple[str, str, str, str, bytes, Callable[[bytes], Any]]:
        # Built on first use: the model's primary key is not known while fields are added.
        field = self.field
        self.fast = (
            field._state_key,
            field.subject_field,
            field._row_attr,
            field.key_class,
            field._aad_prefix,
            field.decode,
        )
        return self.fast

    def __get__(self, instance: Any, cls: Any = None) -> Any:
        if instance is None:
            return self
        data = instance.__dict__
        try:
            value = data[self.attname]
        except KeyError:
            value = super().__get__(instance, cls)  # deferred: loads the column
        if value.__class__ is not Sealed:
            return value
        state_key, subject_attr, row_attr, key_class, aad_prefix, decode = self.fast or self._fast()
        state = data.get(state_key)
        blob = value
        if (
            state is None
            or state.raw_subject is not data.get(subject_attr)
            or state.raw_row is not data.get(row_attr)
            or len(blob) < 29  # version byte + 12-byte nonce + 16-byte tag
            or blob[0] != 1
        ):
            return self.field.open_sealed(instance, value)
        key = state.keys.get(key_class)
        if key.__class__ is not AESGCM:  # not used yet by this instance, or shredded
            return self.field.open_sealed(instance, value)
        try:
            plain = decode(key.decrypt(blob[1:13], blob[13:], aad_prefix + state.row_part))
        except (InvalidTag, ValueError):
            return self.field.open_sealed(instance, value)  # raises CiphertextError naming the row
        data[self.attname] = plain
        state.opened[self.attname] = (blob, plain)
        return plain

    def __set__(self, instance: Any, value: Any) -> None:
        # A data descriptor, so every read passes through __get__ (see above).
        instance.__dict__[self.attname] = value


class EncryptedField(models.Field):
    """Base of the encrypted fields; subclasses say how a value becomes bytes and back."""

    descriptor_class = EncryptedAttribute
    erased_value: Any = ERASED
    # Values that can change in place (JSON dicts) are re-encrypted on every save.
    immutable = True
    # Plaintext bytes -> value: a plain C function where possible (the read hot path).
    decode: Callable[[bytes], Any] = staticmethod(bytes)

    def __init__(
        self,
        *args: Any,
        key_class: str,
        subject_field: str = "subject_id",
        row_field: str | None = None,
        blind_index: str | None = None,
        **kwargs: Any,
    ) -> None:
        for option in ("primary_key", "unique", "db_index"):
            if kwargs.get(option):
                raise TypeError(
                    f"{type(self).__name__}: {option}=True is meaningless on ciphertext (every "
                    "value has a random nonce); use a BlindIndexField for equality and uniqueness"
                )
        try:
            self.key_class = KeyClass(key_class).value
        except ValueError:
            known = ", ".join(KeyClass.values)
            raise TypeError(f"key_class={key_class!r}: expected one of {known}") from None
        self.subject_field = subject_field
        self.row_field = row_field
        # The name of this field's BlindIndexField: equality lookups are answered through it.
        self.blind_index = blind_index
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["key_class"] = self.key_class
        if self.subject_field != "subject_id":
            kwargs["subject_field"] = self.subject_field
        if self.row_field:
            kwargs["row_field"] = self.row_field
        if self.blind_index:
            kwargs["blind_index"] = self.blind_index
        return name, path, args, kwargs

    def get_internal_type(self) -> str:
        return "BinaryField"

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        names = {f.attname for f in self.model._meta.concrete_fields} | {
            f.name for f in self.model._meta.concrete_fields
        }
        for option, attr in (("subject_field", self.subject_field), ("row_field", self.row_field)):
            if attr and attr not in names and not hasattr(self.model, attr):
                errors.append(
                    checks.Error(
                        f"{option}={attr!r} is not a field or attribute of "
                        f"{self.model._meta.label}",
                        obj=self,
                        id="crypto.E101",
                    )
                )
        return errors

    # --- the row's context ---------------------------------------------------------------

    def contribute_to_class(self, cls: Any, name: str, private_only: bool = False) -> None:
        super().contribute_to_class(cls, name, private_only=private_only)
        self._aad_prefix = cipher.aad_prefix(cls._meta.db_table, self.column)

    @cached_property
    def _row_attr(self) -> str:
        return self.row_field or self.model._meta.pk.attname

    @cached_property
    def _state_key(self) -> str:
        return f"_tutela_row:{self.subject_field}:{self._row_attr}"

    def _where(self, instance: Any, row: Any = None) -> str:
        if row is None:
            row = getattr(instance, self.row_field or "pk", None)
        return f"{self.model._meta.label}.{self.name} of row {row}"

    def _row_state(self, instance: Any) -> _RowState:
        """The instance's current _RowState, built (and validated) when it is new or stale."""
        data = instance.__dict__
        state: _RowState | None = data.get(self._state_key)
        if (
            state is not None
            and state.raw_subject is data.get(self.subject_field)
            and state.raw_row is data.get(self._row_attr)
        ):
            return state
        raw_subject = getattr(instance, self.subject_field)
        raw_row = getattr(instance, self._row_attr)
        if raw_subject is None:
            raise EncryptionError(
                f"{self._where(instance, raw_row)}: {self.subject_field} is empty; every row "
                "holding personal data names its subject before it is saved"
            )
        if raw_row is None:
            raise EncryptionError(
                f"{self.model._meta.label}.{self.name}: the row has no id yet; give the model a "
                "UUID primary key assigned in Python (default=uuid.uuid4) or set row_field"
            )
        try:
            subject = cipher.subject_text(raw_subject)
        except ValueError as exc:
            raise EncryptionError(f"{self._where(instance, raw_row)}: {exc}") from None
        new = _RowState(raw_subject, raw_row, subject, cipher.row_part(raw_row))
        if state is not None and state.subject == subject:
            new.keys = state.keys  # same subject: the keys still apply
        data[self._state_key] = new
        return new

    # --- reading -------------------------------------------------------------------------

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Sealed | None:
        if value is None:
            return None
        return Sealed(value)

    def open_sealed(self, instance: Any, sealed: Sealed) -> Any:
        """Decrypt a loaded value with the instance's context, cache and return the plaintext.

        The descriptor decrypts the common case itself; this handles an instance's first use of
        a key, tombstones, shredded keys, and reports any failure as a CiphertextError.
        """
        data = instance.__dict__
        state = self._row_state(instance)
        blob = sealed
        if len(blob) < _MIN_SEALED or blob[0] != cipher.VERSION_1:
            value = self._open_unusual(instance, state, blob)
        else:
            key = state.keys.get(self.key_class)
            if key is None:
                key = self._load_key(instance, state)
            if key is keystore.SHREDDED:
                value = self.erased_value
            else:
                try:
                    value = self.decode(
                        key.decrypt(blob[1:13], blob[13:], self._aad_prefix + state.row_part)
                    )
                except (InvalidTag, ValueError) as exc:
                    self._undecryptable(instance, state, exc)
        data[self.attname] = value
        state.opened[self.attname] = (blob, value)
        return value

    def _load_key(self, instance: Any, state: _RowState) -> Any:
        try:
            key = keystore.key_for_reading(state.subject, self.key_class)
        except keystore.MissingKeyError as exc:
            raise CiphertextError(
                f"{self._where(instance, state.raw_row)}: {exc} (was the key store restored "
                "from an older backup than the data, or is TUTELA_KEYSTORE_DATABASE wrong?)"
            ) from None
        state.keys[self.key_class] = key
        return key

    def _open_unusual(self, instance: Any, state: _RowState, blob: Any) -> Any:
        """A tombstone reads as erased (no key needed); anything else malformed is an error."""
        if blob == cipher.TOMBSTONE:
            return self.erased_value
        try:
            cipher.check_format(blob)
        except cipher.FormatError as exc:
            reason = str(exc)
        else:  # pragma: no cover - check_format accepts only what the caller refused
            reason = "unexpected format"
        raise CiphertextError(
            f"{self._where(instance, state.raw_row)} cannot be decrypted: not a Tutela "
            f"ciphertext ({reason})"
        )

    def _undecryptable(self, instance: Any, state: _RowState, exc: Exception) -> NoReturn:
        if isinstance(exc, InvalidTag):
            reason = (
                "authentication failed: the value was altered, or belongs to another row, "
                "column or subject"
            )
        else:  # authentic but undecodable: a bug, never shown as data
            reason = f"decrypted but not a valid {self.description.lower()} ({exc})"
        raise CiphertextError(
            f"{self._where(instance, state.raw_row)} cannot be decrypted: {reason}"
        ) from None

    # --- writing -------------------------------------------------------------------------

    def pre_save(self, model_instance: Any, add: bool) -> Ciphertext | None:
        data = model_instance.__dict__
        value = (
            data[self.attname] if self.attname in data else getattr(model_instance, self.attname)
        )
        if value is None:
            return None
        state = self._row_state(model_instance)
        if value.__class__ is Sealed:
            # Untouched since loading: check it still belongs to this row, keep the bytes.
            self.open_sealed(model_instance, value)
            return Ciphertext(value)
        opened = state.opened.get(self.attname)
        if opened is not None and opened[1] is value and self.immutable:
            return Ciphertext(opened[0])
        if is_erased(value):
            return Ciphertext(cipher.TOMBSTONE)
        key = keystore.key_for_writing(state.subject, self.key_class)
        blob = cipher.seal(key, self.encode(value), self._aad_prefix + state.row_part)
        state.opened[self.attname] = (blob, value)
        return Ciphertext(blob)

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if value is None:
            return None
        if isinstance(value, Ciphertext):
            return connection.Database.Binary(value)
        raise EncryptionError(
            f"{self.model._meta.label}.{self.name}: a plaintext value reached the database "
            "without its row (QuerySet.update(), bulk_update(), loaddata or a migration "
            "default cannot encrypt); set the attribute on the instance and save() it"
        )

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        if self.blind_index and lookup_name in _VIA_BLIND_INDEX:
            return _VIA_BLIND_INDEX[lookup_name]
        raise exceptions.FieldError(
            f"{self.model._meta.label}.{self.name} is encrypted and cannot be filtered with "
            f"'{lookup_name}'; "
            + (
                "only exact, iexact and in go through its blind index"
                if self.blind_index
                else "filter on its blind index (BlindIndexField) instead"
            )
        )

    def value_to_string(self, obj: Any) -> str:
        # dumpdata writes the ciphertext, never the plaintext (a JSON dump is a backup too).
        blob = self.pre_save(obj, add=False)
        return "" if blob is None else base64.b64encode(blob).decode("ascii")

    def run_validators(self, value: Any) -> None:
        if is_erased(value):
            return
        super().run_validators(value)

    # --- per type --------------------------------------------------------------------------

    def encode(self, value: Any) -> bytes:
        """Plaintext bytes of a Python value."""
        raise NotImplementedError


class _ViaBlindIndex(Lookup):
    """`filter(email="x")` on an encrypted field becomes `email_bidx = hmac("x")`.

    Libraries that look people up by a field (Django's auth backends, allauth's user lookup)
    then work unchanged, while the database compares only keyed hashes. Django builds lookups
    as `lookup_class(lhs, rhs)`; constructing this returns the lookup on the index column.
    Equality through the index is case-insensitive by construction (the index normalises), so
    exact and iexact ask the same question; "in" asks it for several values.
    """

    inner = "exact"

    def __new__(cls, lhs: Any, rhs: Any) -> Any:
        return _lookup_via_blind_index(cls.inner, lhs, rhs)


class _ExactViaBlindIndex(_ViaBlindIndex):
    lookup_name = "exact"


class _IExactViaBlindIndex(_ViaBlindIndex):
    lookup_name = "iexact"


class _InViaBlindIndex(_ViaBlindIndex):
    lookup_name = "in"
    inner = "in"


_VIA_BLIND_INDEX: dict[str, type[_ViaBlindIndex]] = {
    "exact": _ExactViaBlindIndex,
    "iexact": _IExactViaBlindIndex,
    "in": _InViaBlindIndex,
}


def _lookup_via_blind_index(inner: str, lhs: Any, rhs: Any) -> Any:
    """The `inner` lookup on the blind index column of `lhs`'s encrypted field."""
    field: EncryptedField = lhs.target
    index = field.model._meta.get_field(field.blind_index)  # type: ignore[arg-type]
    if not isinstance(index, BlindIndexField):
        raise exceptions.FieldError(
            f"{field.model._meta.label}.{field.name}: blind_index={field.blind_index!r} is not "
            "a BlindIndexField"
        )
    if inner == "in":
        value: Any = [index.index_of(item) for item in rhs]
    else:
        value = None if rhs is None else index.index_of(rhs)
    lookup_class = index.get_lookup(inner)
    assert lookup_class is not None  # noqa: S101 - exact and in exist on every CharField
    return lookup_class(Col(lhs.alias, index), value)


class EncryptedTextField(EncryptedField):
    """Encrypted text; `max_length` (optional) limits the plaintext, in characters."""

    description = "Encrypted text"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            self.validators.append(MaxLengthValidator(self.max_length))

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, str):
            return value  # the same object, so an unchanged value is not re-encrypted
        return str(value)

    def encode(self, value: Any) -> bytes:
        return str(value).encode("utf-8")

    decode = staticmethod(bytes.decode)  # UTF-8, strict: a bad byte is a ValueError

    def formfield(
        self,
        form_class: type[forms.Field] | None = None,
        choices_form_class: type[forms.ChoiceField] | None = None,
        **kwargs: Any,
    ) -> forms.Field | None:
        defaults: dict[str, Any] = {"max_length": self.max_length}
        if self.max_length is None:
            defaults["widget"] = forms.Textarea
        defaults.update(kwargs)
        return super().formfield(
            form_class=form_class or forms.CharField,
            choices_form_class=choices_form_class,
            **defaults,
        )


class EncryptedJSONField(EncryptedField):
    """Encrypted JSON: any value `json.dumps` accepts (dicts, lists, strings, numbers)."""

    description = "Encrypted JSON"
    empty_strings_allowed = False
    immutable = False

    def to_python(self, value: Any) -> Any:
        return value

    def encode(self, value: Any) -> bytes:
        try:
            return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        except (TypeError, ValueError) as exc:
            raise EncryptionError(f"{self.model._meta.label}.{self.name}: {exc}") from None

    decode = staticmethod(json.loads)

    def validate(self, value: Any, model_instance: Any) -> None:
        super().validate(value, model_instance)
        if not is_erased(value):
            try:
                json.dumps(value)
            except (TypeError, ValueError):
                raise exceptions.ValidationError(
                    "Value must be valid JSON.", code="invalid", params={"value": value}
                ) from None

    def formfield(
        self,
        form_class: type[forms.Field] | None = None,
        choices_form_class: type[forms.ChoiceField] | None = None,
        **kwargs: Any,
    ) -> forms.Field | None:
        return super().formfield(
            form_class=form_class or forms.JSONField,
            choices_form_class=choices_form_class,
            **kwargs,
        )


class EncryptedBinaryField(EncryptedField):
    """Encrypted bytes (files such as call recordings); not editable in forms by default."""

    description = "Encrypted binary data"
    erased_value = ERASED_BYTES

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.editable:
            kwargs["editable"] = True
        else:
            kwargs.pop("editable", None)
        return name, path, args, kwargs

    def get_default(self) -> Any:
        default = super().get_default()
        return b"" if default == "" else default

    def to_python(self, value: Any) -> Any:
        if isinstance(value, bytearray | memoryview):
            return bytes(value)
        return value

    def encode(self, value: Any) -> bytes:
        if not isinstance(value, bytes | bytearray | memoryview):
            raise EncryptionError(
                f"{self.model._meta.label}.{self.name}: expected bytes, not {type(value).__name__}"
            )
        return bytes(value)


def erased_column_value() -> Ciphertext:
    """What `QuerySet.update()` writes to erase an encrypted column of many rows at once.

    The tombstone: it reads as ERASED and needs no key. Bulk erasure writes it where a save() per
    row would cost too much; plaintext cannot pass through update() (get_db_prep_value refuses).
    """
    return Ciphertext(cipher.TOMBSTONE)


def data_keys_prefetch(instances: Iterable[models.Model]) -> None:
    """Open the data keys of many rows with one key-store query, instead of one per row.

    For list pages: without it, each row on a cold key cache costs a key-store query (an N+1).
    Rows of different models may be mixed (a page's customers and their users). Keys found are
    attached to each instance, as a first read would; subjects without a key are left alone, so
    their first read reports the missing key with the row's name as usual.
    """
    rows = list(instances)
    if not rows:
        return
    fields_of: dict[type, list[EncryptedField]] = {}
    wanted: dict[tuple[str, str], list[_RowState]] = {}
    for instance in rows:
        fields = fields_of.get(type(instance))
        if fields is None:
            fields = fields_of[type(instance)] = [
                f for f in instance._meta.concrete_fields if isinstance(f, EncryptedField)
            ]
        for model_field in fields:
            state = model_field._row_state(instance)
            if model_field.key_class not in state.keys:
                wanted.setdefault((state.subject, model_field.key_class), []).append(state)
    if not wanted:
        return
    keys = keystore.ensure_ready()
    found = DataKey.objects.using(keystore.keystore_alias()).filter(
        subject__in={subject for subject, _ in wanted},
        key_class__in={key_class for _, key_class in wanted},
    )
    for row in found:
        states = wanted.get((row.subject, row.key_class))
        if states is None:
            continue
        key = keystore.SHREDDED if row.shredded_at else keystore.unwrap_row(keys, row)
        for state in states:
            state.keys[row.key_class] = key
