"""The security-log retention rule, read from the policy file, and what it does to an address.

Which stores it covers is read from the catalog: every model registered with the same retention
rule as visits.Visit (today also accounts.SecurityEvent, the sign-in log), and in each the
fields of category ip_address. The one thing the catalog does not say is when a row was
collected, so COLLECTED_AT names that field per store; a store under the rule without an entry
there is refused with ImproperlyConfigured, so a new IP log cannot be left out of the sweep.
"""

from __future__ import annotations

import calendar
import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models

from tutela.policy.api import Entry, catalog_entries, catalog_entry_for, current_policy

# IPv4 keeps its first three octets, IPv6 its first 48 bits (R30: the last octet, the last 80
# bits): the network of a provider or a site, not the device.
IPV4_KEEP = 24
IPV6_KEEP = 48

# When each store under the rule collected its address: the rule counts from collection.
COLLECTED_AT = {
    "visits.Visit": "first_seen",
    "accounts.SecurityEvent": "occurred_at",
}


def ip_truncate(ip: str) -> str:
    """The network part of an address: IPv4 a.b.c.0 (/24), IPv6 with the last 80 bits zeroed.

    An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is an IPv4 address and is cut as one.
    Idempotent: a truncated address truncates to itself.
    """
    address = ipaddress.ip_address(ip)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    keep = IPV4_KEEP if address.version == 4 else IPV6_KEEP
    return str(ipaddress.ip_network(f"{address}/{keep}", strict=False).network_address)


class CalendarSpan(Protocol):
    """A policy duration (years, months, weeks, days), as tutela.policy parses it."""

    @property
    def years(self) -> int:
        """Whole years."""

    @property
    def months(self) -> int:
        """Whole months."""

    @property
    def weeks(self) -> int:
        """Whole weeks."""

    @property
    def days(self) -> int:
        """Whole days."""


def cut_off(now: datetime, span: CalendarSpan | None) -> datetime | None:
    """`now` minus a policy duration, months counted on the calendar (None: no such step).

    13 months before 31 March is 28 (or 29) February of the year before: the day is clamped
    to the end of a shorter month, so a row is never removed before its full period.
    """
    if span is None:
        return None
    months = now.year * 12 + (now.month - 1) - (span.years * 12 + span.months)
    year, month = divmod(months, 12)
    day = min(now.day, calendar.monthrange(year, month + 1)[1])
    moved = now.replace(year=year, month=month + 1, day=day)
    return moved - timedelta(weeks=span.weeks, days=span.days)


@dataclass(frozen=True)
class IpLogSchedule:
    """When a retention rule truncates addresses and when it deletes rows (None: never)."""

    rule: str
    truncate_after: CalendarSpan | None
    delete_after: CalendarSpan | None


def ip_log_schedule(model: type[models.Model]) -> IpLogSchedule:
    """The truncate and delete steps of the retention rule the catalog gives `model`.

    Raises ImproperlyConfigured for a rule an IP log cannot follow: one that does not count
    from collection, or a step other than truncate_ip and delete.
    """
    key = catalog_entry_for(model).retention
    rule = next((r for r in current_policy().retention if r.key == key), None)
    if rule is None:
        raise ImproperlyConfigured(f"retention rule {key!r} is not in the policy file")
    if rule.duration is None or str(rule.start) != "collection":
        raise ImproperlyConfigured(
            f"retention rule {key!r}: an IP log needs a period counted from collection"
        )
    truncate_after: CalendarSpan | None = None
    delete_after: CalendarSpan | None = None
    steps = [(rule.duration, str(rule.action))]
    steps += [(step.duration, str(step.action)) for step in rule.then]
    for duration, action in steps:
        if action == "truncate_ip":
            truncate_after = truncate_after or duration
        elif action == "delete":
            delete_after = duration
        else:
            raise ImproperlyConfigured(
                f"retention rule {key!r}: {action!r} is not something an IP log does "
                "(truncate_ip, delete)"
            )
    return IpLogSchedule(rule=key, truncate_after=truncate_after, delete_after=delete_after)


@dataclass(frozen=True)
class IpLog:
    """One store under the rule: its catalog entry, address field and collection time."""

    entry: Entry
    ip_field: str | None
    time_field: str

    @property
    def manager(self) -> models.Manager[Any]:
        """The model's default manager."""
        return self.entry.model._default_manager

    @property
    def has_flag(self) -> bool:
        """Whether rows say they were truncated (`ip_truncated`), so the sweep can skip them.

        Without the flag (accounts.SecurityEvent) the sweep reads every row between the two
        cut-offs on each run and rewrites only those whose address still changes: correct and
        idempotent, but its reading grows with the log (see docs/operations.md).
        """
        try:
            self.entry.model._meta.get_field("ip_truncated")
        except FieldDoesNotExist:
            return False
        return True


def ip_logs(rule: str) -> list[IpLog]:
    """Every catalogued store under a retention rule, with the fields the sweep needs."""
    logs = []
    for entry in catalog_entries():
        if entry.retention != rule:
            continue
        time_field = COLLECTED_AT.get(entry.label)
        if time_field is None:
            raise ImproperlyConfigured(
                f"{entry.label} is under retention rule {rule!r}: name the field that holds "
                "when a row was collected in tutela/visits/retention.py COLLECTED_AT"
            )
        ip_field = next(
            (name for name in entry.fields if "ip_address" in entry.field_categories(name)), None
        )
        logs.append(IpLog(entry=entry, ip_field=ip_field, time_field=time_field))
    return logs
