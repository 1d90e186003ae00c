"""Data keys: created on first encryption, unwrapped through the key provider, cached briefly.

Unwrapped keys are held in a small per-process cache (TUTELA_DATA_KEY_CACHE_SIZE entries, each for
TUTELA_DATA_KEY_CACHE_SECONDS). A shred drops the subject's keys from this process's cache at once;
another process may keep using a cached key for at most the cache lifetime (docs/operations.md).
Keys enter the cache only after the transaction that read or created them commits, so a key
created in a transaction that rolls back can never be used to encrypt data afterwards.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from typing import Any, Final

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.signals import setting_changed
from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.utils.module_loading import import_string

from tutela.crypto.errors import KeyConfigurationError, KeyShreddedError
from tutela.crypto.models import DataKey, KeyCanary, KeyClass
from tutela.crypto.providers import KeyProvider, UnwrapError


class _Shredded:
    """The cached state of a shredded key (permanent, so it may be cached like a key)."""

    def __repr__(self) -> str:
        return "SHREDDED"


SHREDDED: Final = _Shredded()
_CANARY_PLAINTEXT = b"tutela key canary"


class MissingKeyError(LookupError):
    """No data key exists for a subject and key class that has encrypted data."""


def keystore_alias() -> str:
    """The database alias holding the key store (TUTELA_KEYSTORE_DATABASE)."""
    return str(getattr(settings, "TUTELA_KEYSTORE_DATABASE", "default"))


def wrap_context(subject: str, key_class: str) -> bytes:
    """Binds a wrapped key to its subject and key class: a row swapped in the key store fails."""
    return f"tutela-data-key\x00{subject}\x00{key_class}".encode()


def canary_context(key_id: str) -> bytes:
    """Context of a master key's canary."""
    return f"tutela-canary\x00{key_id}".encode()


class _KeyCache:
    """Bounded cache with a time limit per entry; evicts the oldest entry when full.

    Hand-written rather than cachetools: it is a dozen lines, lock-free on the read path, and
    keeps the runtime dependencies to what the project already pins.
    """

    def __init__(self, size: int, seconds: float) -> None:
        self.size = size
        self.seconds = seconds
        self._data: dict[tuple[str, str], tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> Any:
        entry = self._data.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, key: tuple[str, str], value: Any) -> None:
        if self.size <= 0 or self.seconds <= 0:
            return
        with self._lock:
            self._data.pop(key, None)
            while len(self._data) >= self.size:
                self._data.pop(next(iter(self._data)))
            self._data[key] = (time.monotonic() + self.seconds, value)

    def drop(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._data.pop(key, None)

    def __contains__(self, key: tuple[str, str]) -> bool:
        return self.get(key) is not None


class _State:
    """Per-process state: the provider, whether it was verified, the caches."""

    def __init__(self) -> None:
        self.provider: KeyProvider | None = None
        self.verified = False
        self.blind_key: bytes | None = None
        self.cache = _KeyCache(
            int(getattr(settings, "TUTELA_DATA_KEY_CACHE_SIZE", 4096)),
            float(getattr(settings, "TUTELA_DATA_KEY_CACHE_SECONDS", 60)),
        )
        self.lock = threading.Lock()


_state = _State()


def reset() -> None:
    """Forget the provider and every cached key (settings changed, or tests)."""
    global _state
    _state = _State()


@receiver(setting_changed)
def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    # Tests swap key files and cache limits with override_settings; real deployments never do.
    if setting.startswith("TUTELA_KEY") or setting.startswith("TUTELA_DATA_KEY"):
        reset()


def provider() -> KeyProvider:
    """The configured key provider (TUTELA_KEY_PROVIDER), built once per process."""
    state = _state
    if state.provider is None:
        path = getattr(
            settings, "TUTELA_KEY_PROVIDER", "tutela.crypto.providers.LocalFileKeyProvider"
        )
        try:
            cls = import_string(path)
        except ImportError as exc:
            raise KeyConfigurationError(f"TUTELA_KEY_PROVIDER={path!r}: {exc}") from None
        if not (isinstance(cls, type) and issubclass(cls, KeyProvider)):
            raise KeyConfigurationError(f"TUTELA_KEY_PROVIDER={path!r} is not a KeyProvider")
        state.provider = cls.from_settings()
    return state.provider


# --- verification (start-up checks and first use in each process) ----------------------------


def key_material_problems(*, create: bool = True) -> list[str]:
    """What is wrong with the key provider against the key store, as sentences; [] when ready.

    On a fresh install (no data key, no canary) a missing key file is created. Canaries are
    written for keys that have none yet, so a later swap of the key file is detected.
    """
    alias = keystore_alias()
    keys = provider()
    if not keys.exists():
        held = DataKey.objects.using(alias).count()
        if held or KeyCanary.objects.using(alias).exists():
            return [
                f"{keys.describe()} is missing, but the key store was written with it "
                f"({held} data key(s) and its key canaries). "
                "Restore the key file from its backup (docs/operations.md, Backups). Do not "
                "create a new one: every encrypted field would become unreadable."
            ]
        if not create:
            return [f"{keys.describe()} does not exist yet"]
        keys.create()
    problems = keys.problems()
    if problems:
        return problems
    held_ids = {info.key_id for info in keys.master_keys()}
    referenced = (
        DataKey.objects.using(alias)
        .exclude(master_key_id="")
        .values_list("master_key_id", flat=True)
        .distinct()
    )
    for key_id in sorted(set(referenced) - held_ids):
        count = DataKey.objects.using(alias).filter(master_key_id=key_id).count()
        problems.append(
            f"master key {key_id} wraps {count} data key(s) but is not in {keys.describe()}: "
            "this is the wrong key file, or an old one. Restore the key file that holds it."
        )
    problems.extend(_canary_problems(keys, alias, held_ids, create=create))
    return problems


def _canary_problems(
    keys: KeyProvider, alias: str, held_ids: set[str], *, create: bool
) -> list[str]:
    problems: list[str] = []
    canaries = {c.key_id: c for c in KeyCanary.objects.using(alias)}
    for canary in canaries.values():
        if canary.kind != KeyCanary.Kind.MASTER or canary.key_id not in held_ids:
            continue
        try:
            keys.unwrap(
                master_key_id=canary.key_id,
                wrapped=bytes(canary.check_value),
                context=canary_context(canary.key_id),
            )
        except UnwrapError:
            problems.append(
                f"master key {canary.key_id} in {keys.describe()} is not the key the key store "
                "was written with (wrong or altered key file). Restore the right key file."
            )
    blind_id, blind_key = keys.blind_index_key()
    blind_canaries = [c for c in canaries.values() if c.kind == KeyCanary.Kind.BLIND_INDEX]
    expected = _blind_check_value(blind_key)
    for canary in blind_canaries:
        if canary.key_id != blind_id or not hmac.compare_digest(
            bytes(canary.check_value), expected
        ):
            problems.append(
                f"the blind-index key in {keys.describe()} ({blind_id}) is not the one the data "
                f"was indexed with ({canary.key_id}); look-ups such as sign-in by email would "
                "find nothing. Restore the right key file."
            )
    if create and not problems:
        current = keys.current_master_key_id()
        if current not in canaries:
            write_master_canary(keys, current)
        if not blind_canaries:
            KeyCanary.objects.using(alias).get_or_create(
                key_id=blind_id,
                defaults={"kind": KeyCanary.Kind.BLIND_INDEX, "check_value": expected},
            )
    return problems


def _blind_check_value(blind_key: bytes) -> bytes:
    return hmac.new(blind_key, b"tutela blind-index canary", hashlib.sha256).digest()


def write_master_canary(keys: KeyProvider, master_key_id: str) -> None:
    """Record a canary for a master key (first use, or a rotation adding a key)."""
    wrapped = keys.wrap(
        master_key_id=master_key_id,
        key=_CANARY_PLAINTEXT,
        context=canary_context(master_key_id),
    )
    KeyCanary.objects.using(keystore_alias()).get_or_create(
        key_id=master_key_id, defaults={"kind": KeyCanary.Kind.MASTER, "check_value": wrapped}
    )


def ensure_ready() -> KeyProvider:
    """The provider, verified against the key store once per process; raises if it is wrong."""
    state = _state
    keys = provider()
    if not state.verified:
        with state.lock:
            if not state.verified:
                problems = key_material_problems(create=True)
                if problems:
                    raise KeyConfigurationError(" ".join(problems))
                state.verified = True
    return keys


def blind_index_key() -> bytes:
    """The blind-index HMAC key (verified once per process)."""
    state = _state
    if state.blind_key is None:
        state.blind_key = ensure_ready().blind_index_key()[1]
    return state.blind_key


# --- data keys -----------------------------------------------------------------------------


def _cache_after_commit(alias: str, cache_key: tuple[str, str], value: Any) -> None:
    cache = _state.cache
    transaction.on_commit(lambda: cache.put(cache_key, value), using=alias)


def unwrap_row(keys: KeyProvider, row: DataKey) -> AESGCM:
    """Open one key-store row with the master key it names."""
    try:
        raw = keys.unwrap(
            master_key_id=row.master_key_id,
            wrapped=bytes(row.wrapped_key),
            context=wrap_context(row.subject, row.key_class),
        )
    except UnwrapError as exc:
        raise KeyConfigurationError(
            f"the {row.key_class} data key of subject {row.subject} does not open with master key "
            f"{row.master_key_id} ({exc}); the key file or the key store row is wrong or altered."
        ) from None
    return AESGCM(raw)


def key_for_reading(subject: str, key_class: str) -> AESGCM | _Shredded:
    """The subject's data key, or SHREDDED; MissingKeyError when none was ever created."""
    cache_key = (subject, key_class)
    cached = _state.cache.get(cache_key)
    if cached is not None:
        return cached
    keys = ensure_ready()
    alias = keystore_alias()
    # At most one row (unique constraint); no ORDER BY, which first() would add.
    rows = list(DataKey.objects.using(alias).filter(subject=subject, key_class=key_class))
    row = rows[0] if rows else None
    if row is None:
        raise MissingKeyError(f"no {key_class} data key for subject {subject}")
    value: AESGCM | _Shredded = SHREDDED if row.shredded_at else unwrap_row(keys, row)
    _cache_after_commit(alias, cache_key, value)
    return value


def key_for_writing(subject: str, key_class: str) -> AESGCM:
    """The subject's data key, created (race-safe) on first use; refuses a shredded subject."""
    value: AESGCM | _Shredded
    try:
        value = key_for_reading(subject, key_class)
    except MissingKeyError:
        value = _create(subject, key_class)
    if isinstance(value, _Shredded):
        raise KeyShreddedError(
            f"the {KeyClass(key_class).label.lower()} key of subject {subject} was shredded; "
            "an erased person's data cannot be stored again under the same subject"
        )
    return value


def _create(subject: str, key_class: str) -> AESGCM | _Shredded:
    keys = ensure_ready()
    alias = keystore_alias()
    raw = AESGCM.generate_key(256)
    master_key_id = keys.current_master_key_id()
    wrapped = keys.wrap(
        master_key_id=master_key_id, key=raw, context=wrap_context(subject, key_class)
    )
    try:
        # A savepoint, so losing the race to another process leaves the outer transaction usable.
        with transaction.atomic(using=alias):
            DataKey.objects.using(alias).create(
                subject=subject,
                key_class=key_class,
                wrapped_key=wrapped,
                master_key_id=master_key_id,
            )
    except IntegrityError:
        # Another process created it first: use theirs, so both encrypt under one key.
        return key_for_reading(subject, key_class)
    value = AESGCM(raw)
    _cache_after_commit(alias, (subject, key_class), value)
    return value


def forget(subject: str, key_classes: list[str]) -> None:
    """Drop a subject's keys from this process's cache (after shredding)."""
    for key_class in key_classes:
        _state.cache.drop((subject, key_class))


def cached(subject: str, key_class: str) -> bool:
    """Whether this process holds the key in its cache (for tests and diagnostics)."""
    return (subject, key_class) in _state.cache
