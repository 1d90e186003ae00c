"""Writes for the security log of visits: record counted visits, and apply the retention rule."""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from tutela.audit.api import AccessEntry, Actor, access_record_many
from tutela.policy.api import Entry
from tutela.visits.models import Visit
from tutela.visits.retention import IpLog, cut_off, ip_log_schedule, ip_logs, ip_truncate

logger = logging.getLogger(__name__)


@dataclass
class Tally:
    """What one process counted for one key since its last write."""

    requests: int
    rejected: int
    first_seen: datetime
    last_seen: datetime


# pg_advisory_xact_lock key for "writing visits" (ASCII "tutela-v" as a signed bigint).
_WRITE_LOCK_KEY = int.from_bytes(b"tutela-v", "big", signed=True)

# (address, subject id or None, part of the site, start of the hour)
VisitKey = tuple[str, uuid.UUID | None, str, datetime]


def visits_record(*, tallies: Mapping[VisitKey, Tally]) -> None:
    """Add counted requests to the hourly rows, creating the rows that do not exist yet.

    One transaction whatever the batch size: read the rows of these hours and addresses, delete
    those being added to, insert them merged along with the new ones. Delete and insert because
    Django's bulk_update matches rows with CASE WHEN id = ..., whose cost grows with the square
    of the batch (a full batch of 10,000 took six times as long); nothing refers to a row's id.
    Writes from several processes are serialised (an advisory lock on PostgreSQL; SQLite has one
    writer at a time), so counts add up and each key keeps one row per hour. Not access-logged:
    this is collection, like the sign-in events, not an access by staff or a job (R7).
    """
    if not tallies:
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_WRITE_LOCK_KEY])
        existing: dict[VisitKey, Visit] = {}
        rows = Visit.objects.filter(
            bucket__in={key[3] for key in tallies},
            ip_address__in={key[0] for key in tallies},
            ip_truncated=False,
        )
        for found in rows:
            existing[(found.ip_address, found.subject_id, found.path_group, found.bucket)] = found
        merged: list[Visit] = []
        replaced: list[int] = []
        for key, tally in tallies.items():
            row = existing.get(key)
            if row is None:
                ip, subject_id, group, bucket = key
                row = Visit(
                    ip_address=ip,
                    subject_id=subject_id,
                    path_group=group,
                    bucket=bucket,
                    first_seen=tally.first_seen,
                    last_seen=tally.last_seen,
                    request_count=tally.requests,
                    rejected_count=tally.rejected,
                )
            else:
                replaced.append(row.pk)
                row.pk = None
                row.request_count += tally.requests
                row.rejected_count += tally.rejected
                row.first_seen = min(row.first_seen, tally.first_seen)
                row.last_seen = max(row.last_seen, tally.last_seen)
            merged.append(row)
        if replaced:
            Visit.objects.filter(pk__in=replaced).delete()
        Visit.objects.bulk_create(merged)


class IpLogCounts(NamedTuple):
    """What the retention job did (or, in a dry run, would do) to one store."""

    truncated: int
    deleted: int


def visits_truncate(
    *, actor: Actor, now: datetime | None = None, dry_run: bool = False, batch_size: int = 500
) -> dict[str, IpLogCounts]:
    """Apply the security-log retention rule to every store of IP addresses under it.

    The periods come from the policy file (rule `security_logs`: the full address for 30 days,
    then the network only, deleted after 13 months), counted from when each row was collected.
    Side effects, per store (visits.Visit, accounts.SecurityEvent): deletes the rows past the
    last step, then truncates the addresses past the first (IPv4 to /24, IPv6 to /48; a row
    with an `ip_truncated` flag gets it set), in batches of `batch_size`, each batch one
    transaction with one access-log event per person whose rows it touched (by `actor`, the
    job). Keeps: everything else in the rows (times, counts, kinds of event) until they are
    deleted. Idempotent: a second run changes and logs nothing. A dry run only counts. Returns
    {store label: counts}.
    """
    now = now or timezone.now()
    schedule = ip_log_schedule(Visit)
    truncate_before = cut_off(now, schedule.truncate_after)
    delete_before = cut_off(now, schedule.delete_after)
    results: dict[str, IpLogCounts] = {}
    for log in ip_logs(schedule.rule):
        deleted = (
            _delete_expired(log, delete_before, actor=actor, dry_run=dry_run, batch=batch_size)
            if delete_before is not None
            else 0
        )
        truncated = (
            _truncate_due(
                log,
                truncate_before,
                not_before=delete_before,
                actor=actor,
                dry_run=dry_run,
                batch=batch_size,
            )
            if truncate_before is not None
            else 0
        )
        results[log.entry.label] = IpLogCounts(truncated=truncated, deleted=deleted)
    summary = ", ".join(
        f"{label}: {counts.truncated} truncated, {counts.deleted} deleted"
        for label, counts in results.items()
    )
    logger.info(
        "visits_truncate%s by %s at %s: %s",
        " (dry run)" if dry_run else "",
        actor.label,
        now.isoformat(),
        summary,
    )
    return results


def _delete_expired(
    log: IpLog, before: datetime, *, actor: Actor, dry_run: bool, batch: int
) -> int:
    expired = log.manager.filter(**{f"{log.time_field}__lt": before})
    if dry_run:
        return expired.count()
    total = 0
    while True:
        with transaction.atomic():
            # Locked (no join, so PostgreSQL can lock it): a second run at the same time waits,
            # then finds these rows gone and does not log them twice.
            pks = list(
                expired.select_for_update().order_by("pk").values_list("pk", flat=True)[:batch]
            )
            if not pks:
                return total
            rows = log.manager.filter(pk__in=pks)
            per_subject = _per_subject(log.entry, rows)
            rows.delete()
            _log(actor, per_subject, log.entry, log.entry.categories, "delete", before)
            total += len(pks)


def _truncate_due(
    log: IpLog,
    before: datetime,
    *,
    not_before: datetime | None,
    actor: Actor,
    dry_run: bool,
    batch: int,
) -> int:
    ip_field = log.ip_field
    if ip_field is None:
        return 0
    due = log.manager.filter(**{f"{log.time_field}__lt": before, f"{ip_field}__isnull": False})
    if not_before is not None:
        # Older rows are deleted first (and a dry run must not count them twice).
        due = due.filter(**{f"{log.time_field}__gte": not_before})
    if log.has_flag:
        due = due.filter(ip_truncated=False)
    total = 0
    last_pk: Any = None
    while True:
        with transaction.atomic():
            page = due if last_pk is None else due.filter(pk__gt=last_pk)
            if not dry_run:
                page = page.select_for_update()
            rows = list(page.order_by("pk").only("pk", ip_field)[:batch])
            if not rows:
                return total
            last_pk = rows[-1].pk
            # Without a flag an address already cut reads the same after cutting: skip it.
            changed = [row for row in rows if _truncated(row, ip_field, log.has_flag)]
            total += len(changed)
            if dry_run or not changed:
                continue
            fields = [ip_field, "ip_truncated"] if log.has_flag else [ip_field]
            log.manager.bulk_update(changed, fields)
            per_subject = _per_subject(
                log.entry, log.manager.filter(pk__in=[row.pk for row in changed])
            )
            categories = log.entry.field_categories(ip_field)
            _log(actor, per_subject, log.entry, categories, "change", before)


def _truncated(row: Any, ip_field: str, has_flag: bool) -> bool:
    """Cut the row's address to its network in place; whether the row changed."""
    address = getattr(row, ip_field)
    cut = ip_truncate(address)
    setattr(row, ip_field, cut)
    if has_flag:
        row.ip_truncated = True
        return True
    return bool(cut != address)


def _per_subject(entry: Entry, rows: QuerySet[Any]) -> Counter[str]:
    """How many of these rows concern each person (rows of visitors not signed in: nobody)."""
    return Counter(str(s) for s in rows.values_list(entry.subject, flat=True) if s is not None)


def _log(
    actor: Actor,
    per_subject: Counter[str],
    entry: Entry,
    categories: tuple[str, ...],
    action: str,
    before: datetime,
) -> None:
    """One access-log event per person whose rows the batch deleted or truncated (R7)."""
    what = "IP address(es) truncated" if action == "change" else "row(s) deleted"
    when = before.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    entries = [
        AccessEntry(
            subject=subject,
            categories=categories,
            purpose=entry.purpose,
            action=action,
            detail=f"{entry.label}: {count} {what}, collected before {when} UTC",
        )
        for subject, count in sorted(per_subject.items())
    ]
    if entries:
        access_record_many(actor=actor, entries=entries)
