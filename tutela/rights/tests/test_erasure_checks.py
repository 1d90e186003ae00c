"""Start-up checks of erasure: a catalog entry erasure could not carry out, a bad webhook, a
suppression list that cannot be found; and the signature receivers check (R39, R41)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from django.test import override_settings

from tutela.commerce.api import Order
from tutela.policy import catalog
from tutela.policy.api import Entry, Erasure, catalog_entry_for
from tutela.rights.checks import check_erasure
from tutela.rights.services.erasure_notify import sign, webhook_signature_valid


def ids(messages: list[Any]) -> list[str]:
    return [message.id for message in messages]


def test_the_shipped_configuration_passes() -> None:
    assert check_erasure() == []


def test_an_entry_erasure_cannot_empty_is_an_error_naming_the_field(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    entries: dict[Any, Entry] = catalog._entries
    anonymised = dataclasses.replace(catalog_entry_for(Order), erasure=Erasure.ANONYMISE)
    monkeypatch.setitem(entries, Order, anonymised)
    messages = check_erasure()
    assert "rights.E001" in ids(messages)
    assert any("commerce.Order.subtotal_pence" in m.msg and "anonymise=" in m.msg for m in messages)


@override_settings(
    TUTELA_PROCESSOR_WEBHOOKS={
        "nobody": {"url": "https://example.org/hook", "secret": "s" * 20},
        "microsoft_365": {"url": "http://example.org/hook", "secret": "short"},
    }
)
def test_bad_webhooks_are_errors_naming_the_processor() -> None:
    text = " ".join(m.msg for m in check_erasure() if m.id == "rights.E002")
    assert "no processor 'nobody'" in text
    assert "must be https://" in text and "at least 16 characters" in text


@override_settings(
    TUTELA_PROCESSOR_WEBHOOKS={"microsoft_365": {"url": "http://127.0.0.1:9/x", "secret": "s" * 16}}
)
def test_plain_http_is_allowed_only_to_this_machine() -> None:
    assert check_erasure() == []


@override_settings(TUTELA_ERASURE_SUPPRESS="tutela.nowhere.suppress")
def test_a_suppression_list_that_cannot_be_imported_is_an_error() -> None:
    (message,) = [m for m in check_erasure() if m.id == "rights.E003"]
    assert "tutela.nowhere.suppress" in message.msg


@override_settings(TUTELA_ERASURE_FAIL_AT="rows")
def test_the_test_only_failure_switch_warns() -> None:
    assert ids(check_erasure()) == ["rights.W001"]


def test_a_signature_is_valid_only_for_its_secret_body_and_time() -> None:
    body = json.dumps({"subject": "x"}).encode()
    header = sign("secret-of-sixteen!", body, at=1_000_000)
    assert webhook_signature_valid("secret-of-sixteen!", header, body, now=1_000_100)
    assert not webhook_signature_valid("another-secret!!!", header, body, now=1_000_100)
    assert not webhook_signature_valid("secret-of-sixteen!", header, body + b" ", now=1_000_100)
    assert not webhook_signature_valid("secret-of-sixteen!", header, body, now=1_000_900)
    assert not webhook_signature_valid("secret-of-sixteen!", "v1=abc", body, now=1_000_100)
