"""The visits log in the personal-data catalog: declared, checked against the policy (R31)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from tutela.customers.models import Customer
from tutela.policy.api import Erasure, catalog_entry_for, current_policy
from tutela.policy.drift import drift_problems
from tutela.visits.models import Visit


def test_the_log_is_catalogued_under_security_and_its_retention_rule() -> None:
    entry = catalog_entry_for(Visit)
    assert (entry.subject, entry.purpose, entry.retention) == (
        "subject_id",
        "security_fraud_prevention",
        "security_logs",
    )
    assert entry.categories == ("ip_address", "usage_data")
    assert entry.erasure is Erasure.DELETE
    policy = current_policy()
    assert policy.purpose(entry.purpose).lawful_basis.value == "legitimate_interests"
    assert set(entry.categories) <= set(policy.purpose(entry.purpose).categories)


def test_the_drift_check_finds_nothing_wrong_with_it() -> None:
    """Every field that looks personal is declared (the flag with its reason)."""
    assert [p for p in drift_problems(current_policy()) if p.where.startswith("visits.")] == []


@pytest.mark.django_db
def test_a_persons_visits_are_found_by_their_subject_id(
    make_customer: Callable[..., Customer],
) -> None:
    """What export and erasure walk: the person's own rows, not anonymous traffic or others'."""
    ada, bob = make_customer(), make_customer()
    moment = datetime(2026, 5, 4, 10, tzinfo=UTC)
    for subject_id in (ada.subject_id, bob.subject_id, None):
        Visit.objects.create(
            ip_address="192.0.2.1",
            subject_id=subject_id,
            path_group="home",
            bucket=moment,
            first_seen=moment,
            last_seen=moment,
            request_count=1,
        )
    rows = catalog_entry_for(Visit).rows_for(str(ada.subject_id))
    assert list(rows.values_list("subject_id", flat=True)) == [ada.subject_id]
