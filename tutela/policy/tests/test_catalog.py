"""The personal-data catalog and the drift check: the code stores nothing the policy does not
declare, and one subject's rows can be found in every app without per-model code (R26, R33)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Model

from tutela.accounts.models import SecurityEvent, User
from tutela.customers.models import Customer
from tutela.policy import catalog
from tutela.policy.api import current_policy
from tutela.policy.checks import check_catalog_drift
from tutela.policy.drift import drift_problems


def _problems() -> list[str]:
    return [str(problem) for problem in drift_problems(current_policy())]


def _change_customer_entry(monkeypatch: pytest.MonkeyPatch, **changes: Any) -> catalog.Entry:
    """Swap Customer's catalog entry for an edited copy, for this test only."""
    entries: dict[type[Model], catalog.Entry] = catalog._entries
    key: type[Model] = Customer
    changed = dataclasses.replace(entries[key], **changes)
    monkeypatch.setitem(entries, key, changed)
    return changed


def test_the_shipped_code_matches_the_policy(capsys: pytest.CaptureFixture[str]) -> None:
    """CI's `tutela_check`: every personal field catalogued against declared categories."""
    call_command("tutela_check")
    assert "The code matches the policy" in capsys.readouterr().out
    assert check_catalog_drift() == []


def test_an_uncatalogued_personal_field_fails_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """A model storing names and phones that nobody declared is drift; start-up refuses it."""
    entries: dict[type[Model], catalog.Entry] = catalog._entries
    key: type[Model] = Customer
    monkeypatch.delitem(entries, key)
    problems = _problems()
    assert any(p.startswith("customers.Customer.full_name: looks like personal") for p in problems)
    assert any(p.startswith("customers.Customer.phone: looks like personal") for p in problems)
    with pytest.raises(CommandError, match="the code and the policy disagree"):
        call_command("tutela_check")
    assert {error.id for error in check_catalog_drift()} == {"policy.E002"}


def test_a_field_left_out_of_an_entry_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    fields = catalog._entries[Customer].fields
    _change_customer_entry(monkeypatch, fields={k: v for k, v in fields.items() if k != "postcode"})
    assert [p for p in _problems() if "postcode" in p] == [
        "customers.Customer.postcode: looks like personal data but is not in the catalog "
        "(register it in the app's privacy.py with its category, or list it under not_personal "
        "with the reason)"
    ]


def test_a_category_the_policy_does_not_declare_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    fields = {**catalog._entries[Customer].fields, "field_of_activity": "favourite_colour"}
    _change_customer_entry(monkeypatch, fields=fields)
    assert (
        "customers.Customer.field_of_activity: category 'favourite_colour' is not declared "
        "in the policy"
    ) in _problems()


def test_data_sent_to_a_processor_outside_its_declared_categories_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """R26: profile data must never reach the analytics provider; declaring that flow is drift."""
    _change_customer_entry(monkeypatch, processors=("google_analytics",))
    problems = _problems()
    assert (
        "customers.Customer: reaches processor 'google_analytics' with category 'name', which "
        "the policy does not declare for that processor"
    ) in problems
    _change_customer_entry(monkeypatch, processors=("data_broker",))
    assert (
        "customers.Customer: processor 'data_broker' is not in the policy's processors register"
    ) in _problems()


def test_unknown_purpose_retention_and_subject_path_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    _change_customer_entry(
        monkeypatch, purpose="selling_data", retention="forever", subject="user__no_such_field"
    )
    problems = _problems()
    assert "customers.Customer: purpose 'selling_data' is not declared in the policy" in problems
    assert "customers.Customer: retention rule 'forever' is not in the policy" in problems
    assert any("subject path 'user__no_such_field' does not resolve" in p for p in problems)


def test_registering_a_model_twice_or_exempting_without_reason_is_refused() -> None:
    with pytest.raises(ValueError, match="already in the personal-data catalog"):
        catalog.catalog_register(
            Customer,
            subject="user__subject_id",
            fields={},
            purpose="fulfil_contracts",
            erasure=catalog.Erasure.DELETE,
            retention="account_data",
        )
    with pytest.raises(ValueError, match="needs a reason"):
        catalog.catalog_exempt(Customer, reason="  ")


def test_walking_the_catalog_finds_one_subjects_rows_in_every_app(
    make_customer: Callable[..., Customer], client: object
) -> None:
    """The walker gives every row about a person, and nobody else's, with no per-model code."""
    ada = make_customer(email="ada@example.com")
    other = make_customer(email="other@example.com")
    SecurityEvent.objects.create(kind=SecurityEvent.Kind.SIGN_IN, user=ada.user, ip_address="::1")
    SecurityEvent.objects.create(kind=SecurityEvent.Kind.SIGN_IN, user=other.user)

    found = {
        entry.label: list(rows)
        for entry, rows in catalog.rows_for_subject(str(ada.user.subject_id))
    }
    assert found["accounts.User"] == [ada.user]
    assert found["customers.Customer"] == [ada]
    assert found["account.EmailAddress"] == []  # allauth's copy stays empty (accounts.emails)
    assert [e.user_id for e in found["accounts.SecurityEvent"]] == [ada.user.pk]
    everything = [row for rows in found.values() for row in rows]
    assert other not in everything and other.user not in everything
    assert User.objects.filter(subject_id=ada.user.subject_id).count() == 1
