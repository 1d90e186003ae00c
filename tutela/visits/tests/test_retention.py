"""The security-log retention rule: the full address for 30 days, the network until 13 months,
then nothing; read from the policy file, applied to visits and sign-in events (R30, R31)."""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from hypothesis import given
from hypothesis import strategies as st

from tutela.accounts.models import SecurityEvent
from tutela.audit.api import AccessEvent, Actor
from tutela.customers.models import Customer
from tutela.visits.models import Visit
from tutela.visits.retention import COLLECTED_AT, cut_off, ip_logs, ip_truncate
from tutela.visits.services import IpLogCounts, visits_truncate

# A month end, so that "13 months before" has to clamp: 31 March -> 28 February.
NOW = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
THIRTY_DAYS = NOW - timedelta(days=30)
THIRTEEN_MONTHS = datetime(2025, 2, 28, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
JOB = Actor.system("visits_truncate")

IPV4, IPV4_NET = "203.0.113.77", "203.0.113.0"
IPV6, IPV6_NET = "2001:db8:abcd:12:3456:789a:bcde:f012", "2001:db8:abcd::"


def visit(ip: str, seen: datetime, subject_id: uuid.UUID | None = None) -> Visit:
    return Visit.objects.create(
        ip_address=ip,
        subject_id=subject_id,
        path_group="accounts",
        bucket=seen.replace(minute=0, second=0, microsecond=0),
        first_seen=seen,
        last_seen=seen + timedelta(minutes=5),
        request_count=3,
    )


def sign_in_event(ip: str | None, at: datetime, customer: Customer | None = None) -> SecurityEvent:
    return SecurityEvent.objects.create(
        kind=SecurityEvent.Kind.SIGN_IN_FAILED,
        user=customer.user if customer is not None else None,
        ip_address=ip,
        occurred_at=at,
    )


def addresses(model: type[Any] = Visit) -> list[str | None]:
    return list(model.objects.order_by("pk").values_list("ip_address", flat=True))


@pytest.mark.django_db
def test_addresses_are_cut_to_their_network_just_after_30_days() -> None:
    """Exactly 30 days old is not yet "after 30 days"; one second more is."""
    visit(IPV4, THIRTY_DAYS + SECOND)
    visit(IPV4, THIRTY_DAYS)
    visit(IPV4, THIRTY_DAYS - SECOND)
    visit(IPV6, THIRTY_DAYS + SECOND)
    visit(IPV6, THIRTY_DAYS - SECOND)
    counts = visits_truncate(actor=JOB, now=NOW)
    assert counts["visits.Visit"] == IpLogCounts(truncated=2, deleted=0)
    assert addresses() == [IPV4, IPV4, IPV4_NET, IPV6, IPV6_NET]
    assert list(Visit.objects.order_by("pk").values_list("ip_truncated", flat=True)) == [
        False,
        False,
        True,
        False,
        True,
    ]
    # The rest of the row is kept until it is deleted.
    assert set(Visit.objects.values_list("request_count", "path_group")) == {(3, "accounts")}


@pytest.mark.django_db
def test_rows_are_deleted_just_after_13_months_on_the_calendar() -> None:
    """31 March minus 13 months is 28 February (the day clamps to the shorter month)."""
    kept = visit(IPV4, THIRTEEN_MONTHS)
    visit(IPV4, THIRTEEN_MONTHS - SECOND)
    visit(IPV6, THIRTEEN_MONTHS - timedelta(days=40))
    counts = visits_truncate(actor=JOB, now=NOW)
    assert counts["visits.Visit"] == IpLogCounts(truncated=1, deleted=2)
    assert list(Visit.objects.values_list("pk", "ip_address")) == [(kept.pk, IPV4_NET)]


@pytest.mark.django_db
def test_a_second_run_changes_and_logs_nothing(make_customer: Callable[..., Customer]) -> None:
    customer = make_customer()
    visit(IPV4, THIRTY_DAYS - SECOND, customer.subject_id)
    visit(IPV4, THIRTEEN_MONTHS - SECOND, customer.subject_id)
    sign_in_event(IPV6, THIRTY_DAYS - SECOND, customer)
    first = visits_truncate(actor=JOB, now=NOW)
    events = AccessEvent.objects.count()
    state = (addresses(), addresses(SecurityEvent))
    second = visits_truncate(actor=JOB, now=NOW)
    assert first == {
        "visits.Visit": IpLogCounts(truncated=1, deleted=1),
        "accounts.SecurityEvent": IpLogCounts(truncated=1, deleted=0),
    }
    assert second == {
        "visits.Visit": IpLogCounts(0, 0),
        "accounts.SecurityEvent": IpLogCounts(0, 0),
    }
    assert AccessEvent.objects.count() == events
    assert (addresses(), addresses(SecurityEvent)) == state


@pytest.mark.django_db
def test_sign_in_events_follow_the_same_rule(make_customer: Callable[..., Customer]) -> None:
    """accounts.SecurityEvent is catalogued under security_logs too: same cut, same deletion."""
    customer = make_customer()
    fresh = sign_in_event(IPV4, THIRTY_DAYS + SECOND, customer)
    old = sign_in_event(IPV4, THIRTY_DAYS - SECOND, customer)
    old_v6 = sign_in_event(IPV6, THIRTY_DAYS - SECOND)
    no_address = sign_in_event(None, THIRTY_DAYS - SECOND)
    expired = sign_in_event(IPV4, THIRTEEN_MONTHS - SECOND, customer)
    counts = visits_truncate(actor=JOB, now=NOW)
    assert counts["accounts.SecurityEvent"] == IpLogCounts(truncated=2, deleted=1)
    assert dict(SecurityEvent.objects.values_list("pk", "ip_address")) == {
        fresh.pk: IPV4,
        old.pk: IPV4_NET,
        old_v6.pk: IPV6_NET,
        no_address.pk: None,
    }
    assert not SecurityEvent.objects.filter(pk=expired.pk).exists()


@pytest.mark.django_db
def test_each_person_sees_the_job_in_their_access_log(
    make_customer: Callable[..., Customer],
) -> None:
    """R7: one event per person per batch, by the system job; visitors who were not signed in
    have no subject and so no event."""
    ada, bob = make_customer(), make_customer()
    visit(IPV4, THIRTY_DAYS - SECOND, ada.subject_id)
    visit(IPV6, THIRTY_DAYS - timedelta(days=2), ada.subject_id)
    visit(IPV4, THIRTEEN_MONTHS - SECOND, bob.subject_id)
    visit("198.51.100.4", THIRTY_DAYS - SECOND)
    visits_truncate(actor=JOB, now=NOW)
    events = {(e.subject, e.action): e for e in AccessEvent.objects.filter(actor_kind="system")}
    assert set(events) == {(str(ada.subject_id), "change"), (str(bob.subject_id), "delete")}
    change = events[(str(ada.subject_id), "change")]
    assert (change.actor_label, change.actor_role) == ("visits_truncate", "job")
    assert (change.categories, change.purpose) == ("ip_address", "security_fraud_prevention")
    assert change.detail.startswith("visits.Visit: 2 IP address(es) truncated, collected before")
    delete = events[(str(bob.subject_id), "delete")]
    assert delete.category_keys == ["ip_address", "usage_data"]


@pytest.mark.django_db
def test_large_sweeps_go_in_batches(make_customer: Callable[..., Customer]) -> None:
    """Every due row is reached whatever the batch size; each batch logs its own events."""
    customer = make_customer()
    for n in range(5):
        visit(f"192.0.2.{n + 1}", THIRTY_DAYS - timedelta(hours=n + 1), customer.subject_id)
        sign_in_event(f"192.0.2.{n + 1}", THIRTY_DAYS - timedelta(hours=n + 1), customer)
        visit(f"198.51.100.{n + 1}", THIRTEEN_MONTHS - timedelta(hours=n + 1))
    counts = visits_truncate(actor=JOB, now=NOW, batch_size=2)
    assert counts["visits.Visit"] == IpLogCounts(truncated=5, deleted=5)
    assert counts["accounts.SecurityEvent"] == IpLogCounts(truncated=5, deleted=0)
    assert set(addresses()) == {"192.0.2.0"}
    assert set(addresses(SecurityEvent)) == {"192.0.2.0"}
    # Three batches (2 + 2 + 1) in each store, one event each for the one person in them.
    assert AccessEvent.objects.filter(action="change").count() == 6


@pytest.mark.django_db
def test_a_dry_run_counts_and_changes_nothing(make_customer: Callable[..., Customer]) -> None:
    customer = make_customer()
    visit(IPV4, THIRTY_DAYS - SECOND, customer.subject_id)
    visit(IPV4, THIRTEEN_MONTHS - SECOND, customer.subject_id)
    sign_in_event(IPV4, THIRTY_DAYS - SECOND, customer)
    sign_in_event(IPV4_NET, THIRTY_DAYS - SECOND, customer)  # already a network: nothing to cut
    before = (addresses(), addresses(SecurityEvent))
    dry = visits_truncate(actor=JOB, now=NOW, dry_run=True)
    assert (addresses(), addresses(SecurityEvent)) == before
    assert not AccessEvent.objects.exists()
    assert dry == visits_truncate(actor=JOB, now=NOW)
    assert dry["accounts.SecurityEvent"] == IpLogCounts(truncated=1, deleted=0)


def _policy_with(tmp_path: Path, old: str, new: str) -> Path:
    text = Path(django_settings.TUTELA_POLICY_FILE).read_text(encoding="utf-8")
    assert text.count(old) == 1
    path = tmp_path / "policy.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


SECURITY_LOGS = """    period: P30D
    start: collection
    action: truncate_ip
    then:
      - after: P13M
        action: delete"""


@pytest.mark.django_db
def test_the_periods_come_from_the_policy_file(tmp_path: Path, settings: Any) -> None:
    """Nothing is hard-coded: a policy with 7 days and 2 months moves both cut-offs."""
    settings.TUTELA_POLICY_FILE = _policy_with(
        tmp_path,
        SECURITY_LOGS,
        SECURITY_LOGS.replace("P30D", "P7D").replace("P13M", "P2M"),
    )
    visit(IPV4, NOW - timedelta(days=6))
    visit(IPV4, NOW - timedelta(days=8))
    visit(IPV4, NOW - timedelta(days=70))
    assert visits_truncate(actor=JOB, now=NOW)["visits.Visit"] == IpLogCounts(1, 1)
    assert addresses() == [IPV4, IPV4_NET]


@pytest.mark.django_db
def test_a_rule_an_ip_log_cannot_follow_is_refused(tmp_path: Path, settings: Any) -> None:
    settings.TUTELA_POLICY_FILE = _policy_with(
        tmp_path, SECURITY_LOGS, SECURITY_LOGS.replace("action: truncate_ip", "action: anonymise")
    )
    visit(IPV4, THIRTY_DAYS - SECOND)
    with pytest.raises(ImproperlyConfigured, match="'anonymise' is not something an IP log does"):
        visits_truncate(actor=JOB, now=NOW)
    assert addresses() == [IPV4]


def test_every_store_under_the_rule_says_when_it_collected() -> None:
    """The sweep covers what the catalog files under security_logs, each with its time field."""
    logs = {log.entry.label: log for log in ip_logs("security_logs")}
    assert set(logs) == {"visits.Visit", "accounts.SecurityEvent"}
    assert {label: log.time_field for label, log in logs.items()} == COLLECTED_AT
    assert {label: log.ip_field for label, log in logs.items()} == {
        "visits.Visit": "ip_address",
        "accounts.SecurityEvent": "ip_address",
    }


@pytest.mark.django_db
def test_the_command_prints_counts_and_dry_run_changes_nothing() -> None:
    visit(IPV4, THIRTY_DAYS - timedelta(days=1))
    visit(IPV6, THIRTEEN_MONTHS - timedelta(days=1))
    out = StringIO()
    call_command("visits_truncate", "--dry-run", stdout=out)
    assert "visits.Visit: would truncate 1 IP address(es), would delete 1 row(s)" in out.getvalue()
    assert "accounts.SecurityEvent: would truncate 0" in out.getvalue()
    assert addresses() == [IPV4, IPV6]
    out = StringIO()
    call_command("visits_truncate", stdout=out)
    assert "visits.Visit: truncated 1 IP address(es), deleted 1 row(s)" in out.getvalue()
    assert addresses() == [IPV4_NET]


@pytest.mark.parametrize(
    ("ip", "network"),
    [
        ("192.0.2.255", "192.0.2.0"),
        ("10.1.2.0", "10.1.2.0"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1::"),
        ("2001:db8:ffff:ffff::", "2001:db8:ffff::"),
        ("::ffff:198.51.100.23", "198.51.100.0"),
        ("::1", "::"),
    ],
)
def test_truncation_keeps_the_first_24_or_48_bits(ip: str, network: str) -> None:
    assert ip_truncate(ip) == network


@given(st.ip_addresses())
def test_truncation_is_idempotent_and_stays_in_the_network(address: Any) -> None:
    cut = ipaddress.ip_address(ip_truncate(str(address)))
    assert ip_truncate(str(cut)) == str(cut)
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    keep = 24 if address.version == 4 else 48
    assert address in ipaddress.ip_network(f"{cut}/{keep}")
    assert int(cut) & ((1 << (address.max_prefixlen - keep)) - 1) == 0


@pytest.mark.parametrize(
    ("now", "months", "expected"),
    [
        (datetime(2026, 3, 31, 9, tzinfo=UTC), 1, datetime(2026, 2, 28, 9, tzinfo=UTC)),
        (datetime(2024, 3, 31, 9, tzinfo=UTC), 1, datetime(2024, 2, 29, 9, tzinfo=UTC)),
        (datetime(2026, 1, 15, 9, tzinfo=UTC), 13, datetime(2024, 12, 15, 9, tzinfo=UTC)),
        (datetime(2026, 3, 31, 12, tzinfo=UTC), 13, THIRTEEN_MONTHS),
    ],
)
def test_months_are_counted_on_the_calendar(now: datetime, months: int, expected: datetime) -> None:
    assert cut_off(now, Span(months=months)) == expected
    assert cut_off(now, Span(days=30)) == now - timedelta(days=30)
    assert cut_off(now, None) is None


@dataclass
class Span:
    """A policy duration, as the retention code reads one."""

    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0
