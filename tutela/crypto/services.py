"""Writes to the key store: crypto-shredding and master key rotation."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from tutela.crypto import keystore
from tutela.crypto.cipher import subject_text
from tutela.crypto.models import DataKey, KeyCanary, KeyClass

# A superseded master key stays this long after rotation even when nothing refers to it any more:
# a process that read the key file just before the rotation may still be committing a data key
# wrapped with it (request transactions last seconds, an hour is far beyond that).
RETIRE_GRACE = timedelta(hours=1)


@dataclass
class ShredResult:
    """What subject_shred did, per key class."""

    subject: str
    shredded: list[str] = field(default_factory=list)
    already_shredded: list[str] = field(default_factory=list)
    # Key classes the subject never had a key for: a shredded tombstone is recorded for them.
    never_keyed: list[str] = field(default_factory=list)


def _key_classes(key_classes: Iterable[str]) -> list[str]:
    if isinstance(key_classes, str):
        raise ValueError("key_classes: give a list of key classes, not a single string")
    chosen: list[str] = []
    for value in key_classes:
        try:
            chosen.append(KeyClass(value).value)
        except ValueError:
            known = ", ".join(KeyClass.values)
            raise ValueError(f"key_classes: unknown key class {value!r} (known: {known})") from None
    if not chosen:
        raise ValueError("key_classes: name at least one key class")
    return sorted(set(chosen))


def subject_shred(
    *, subject: Any, key_classes: Iterable[str], actor_label: str, reason: str
) -> ShredResult:
    """Destroy a subject's data keys for the named key classes (crypto-shredding).

    Side effects: for each named key class the wrapped key bytes and master key id are erased
    from the key store row, which records when, by whom and why; a class the subject never had a
    key for gets a shredded tombstone row, so nothing can be encrypted for it later. The keys are
    dropped from this process's cache at once (other processes: within
    TUTELA_DATA_KEY_CACHE_SECONDS). Afterwards every field encrypted under those keys, in the
    database and in every backup of it, reads as ERASED.

    Keeps: the key store row itself (the record of the shred), the subject's other key classes
    (financial records are shredded only when FINANCIAL is named, since they are kept for 6
    years), and the rows holding the ciphertext (deleting or minimising rows is the caller's job,
    as is recording the shred in the access log). Blind-index columns are not touched here.
    Shredding again is harmless: already-shredded classes are reported and left as they were.
    Copies of the key store itself (its backups) still hold the wrapped keys until they expire.
    """
    subject_id = subject_text(subject)
    classes = _key_classes(key_classes)
    reason = (reason or "").strip()
    actor_label = (actor_label or "").strip()
    if not reason:
        raise ValueError("reason: say why the keys are destroyed (for the record)")
    if not actor_label:
        raise ValueError("actor_label: name who shreds the keys")
    if len(reason) > 500:
        raise ValueError(f"reason: at most 500 characters (got {len(reason)})")
    if len(actor_label) > 120:
        raise ValueError(f"actor_label: at most 120 characters (got {len(actor_label)})")
    alias = keystore.keystore_alias()
    result = ShredResult(subject=subject_id)
    now = timezone.now()
    with transaction.atomic(using=alias):
        rows = {
            row.key_class: row
            for row in DataKey.objects.using(alias)
            .select_for_update()
            .filter(subject=subject_id, key_class__in=classes)
        }
        for key_class in classes:
            row = rows.get(key_class)
            if row is not None and row.shredded_at is not None:
                result.already_shredded.append(key_class)
                continue
            if row is None:
                row = DataKey(subject=subject_id, key_class=key_class)
                result.never_keyed.append(key_class)
            else:
                result.shredded.append(key_class)
            row.wrapped_key = b""
            row.master_key_id = ""
            row.shredded_at = now
            row.shredded_by = actor_label
            row.shred_reason = reason
            row.save(using=alias)
        keystore.forget(subject_id, classes)
        # Again after commit: a read earlier in this transaction may re-cache a key on commit.
        transaction.on_commit(lambda: keystore.forget(subject_id, classes), using=alias)
    return result


@dataclass
class BulkShredResult:
    """What subjects_shred did, in counts of key-store rows."""

    subjects: int = 0
    shredded: int = 0
    already_shredded: int = 0
    # Tombstones written for key classes a subject never had a key for.
    never_keyed: int = 0


# Subjects per statement: far below every database's limit on bound parameters.
_SHRED_CHUNK = 500


def subjects_shred(
    *, subjects: Iterable[Any], key_classes: Iterable[str], actor_label: str, reason: str
) -> BulkShredResult:
    """subject_shred for many subjects at once (bulk erasure, retention sweeps).

    Side effects and what it keeps: exactly those of subject_shred, for every subject named,
    written with a few statements per 500 subjects instead of a few per subject and key class
    (one subject_shred costs milliseconds; a sweep erases thousands). One transaction on the key
    store; shredding again is harmless (already-shredded rows are counted and left as they were).
    """
    ids = sorted({subject_text(subject) for subject in subjects})
    classes = _key_classes(key_classes)
    reason = (reason or "").strip()
    actor_label = (actor_label or "").strip()
    if not reason or len(reason) > 500:
        raise ValueError("reason: say why the keys are destroyed, in at most 500 characters")
    if not actor_label or len(actor_label) > 120:
        raise ValueError("actor_label: name who shreds the keys, in at most 120 characters")
    alias = keystore.keystore_alias()
    result = BulkShredResult(subjects=len(ids))
    now = timezone.now()
    done = {"shredded_at": now, "shredded_by": actor_label, "shred_reason": reason}
    with transaction.atomic(using=alias):
        for start in range(0, len(ids), _SHRED_CHUNK):
            chunk = ids[start : start + _SHRED_CHUNK]
            rows = DataKey.objects.using(alias).filter(subject__in=chunk, key_class__in=classes)
            held = {
                (subject, key_class): shredded_at is not None
                for subject, key_class, shredded_at in rows.select_for_update().values_list(
                    "subject", "key_class", "shredded_at"
                )
            }
            result.already_shredded += sum(held.values())
            result.shredded += rows.filter(shredded_at__isnull=True).update(
                wrapped_key=b"", master_key_id="", **done
            )
            missing = [
                DataKey(subject=subject, key_class=key_class, wrapped_key=b"", **done)
                for subject in chunk
                for key_class in classes
                if (subject, key_class) not in held
            ]
            DataKey.objects.using(alias).bulk_create(missing)
            result.never_keyed += len(missing)
        _forget_all(ids, classes)
        # Again after commit: a read earlier in this transaction may re-cache a key on commit.
        transaction.on_commit(lambda: _forget_all(ids, classes), using=alias)
    return result


def _forget_all(subjects: list[str], classes: list[str]) -> None:
    for subject in subjects:
        keystore.forget(subject, classes)


@dataclass
class RotationResult:
    """What master_key_rotate did."""

    master_key_id: str
    added: bool
    rewrapped: int = 0
    retired: list[str] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)  # master key id -> why it is kept


def master_key_rotate(
    *,
    actor_label: str,
    resume: bool = False,
    batch_size: int = 500,
    retire_grace: timedelta = RETIRE_GRACE,
) -> RotationResult:
    """Add a master key and re-wrap every data key with it; the encrypted data is not touched.

    Side effects: a new master key in the key provider (unless `resume`, which finishes an
    interrupted rotation onto the current key), a canary for it, every live data key re-wrapped in
    batches of `batch_size` (each batch one transaction, so an interruption loses nothing and a
    rerun continues), then retirement of old master keys that nothing refers to and that were
    superseded more than `retire_grace` ago. Keeps: old master keys still referred to or inside
    the grace period (the result says why), and shredded rows as they are. `actor_label` is
    accepted for the caller's log; the key store keeps no rotation record of its own.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    keys = keystore.ensure_ready()
    if resume:
        current, added = keys.current_master_key_id(), False
    else:
        current, added = keys.add_master_key(), True
    keystore.write_master_canary(keys, current)
    result = RotationResult(master_key_id=current, added=added)
    while rewrapped := _rewrap_batch(keys, current, batch_size):
        result.rewrapped += rewrapped
    _retire(keys, result, retire_grace)
    return result


def _rewrap_batch(keys: Any, current: str, batch_size: int) -> int:
    alias = keystore.keystore_alias()
    with transaction.atomic(using=alias):
        rows = list(
            DataKey.objects.using(alias)
            .select_for_update()
            .filter(shredded_at__isnull=True)
            .exclude(master_key_id=current)
            .order_by("pk")[:batch_size]
        )
        now = timezone.now()
        for row in rows:
            context = keystore.wrap_context(row.subject, row.key_class)
            raw = keys.unwrap(
                master_key_id=row.master_key_id, wrapped=bytes(row.wrapped_key), context=context
            )
            row.wrapped_key = keys.wrap(master_key_id=current, key=raw, context=context)
            row.master_key_id = current
            row.rewrapped_at = now
        DataKey.objects.using(alias).bulk_update(
            rows, ["wrapped_key", "master_key_id", "rewrapped_at"]
        )
        return len(rows)


def _retire(keys: Any, result: RotationResult, grace: timedelta) -> None:
    alias = keystore.keystore_alias()
    now = timezone.now()
    for info in keys.master_keys():
        if info.current:
            continue
        in_use = DataKey.objects.using(alias).filter(master_key_id=info.key_id).count()
        if in_use:
            result.kept[info.key_id] = f"still wraps {in_use} data key(s)"
        elif info.superseded_at and now - info.superseded_at < grace:
            result.kept[info.key_id] = (
                f"superseded at {info.superseded_at:%Y-%m-%d %H:%M} UTC; retired after "
                f"{grace} (run keys_rotate --resume then)"
            )
        else:
            keys.retire_master_key(info.key_id)
            KeyCanary.objects.using(alias).filter(key_id=info.key_id).delete()
            result.retired.append(info.key_id)
