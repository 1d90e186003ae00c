"""Bounces and complaints are imported from a CSV and suppress the address (R25, R40)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tutela.audit.api import AccessEvent
from tutela.campaigns.selectors import campaign_audience
from tutela.consent.api import Subscriber, SuppressedAddress, is_suppressed
from tutela.customers.api import Customer


def write(tmp_path: Path, text: str | bytes) -> str:
    path = tmp_path / "bounces.csv"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.django_db
def test_imported_bounces_and_complaints_suppress_the_address(
    tmp_path: Path,
    subscribe: Callable[..., Subscriber],
    make_customer: Callable[..., Customer],
    capsys: pytest.CaptureFixture[str],
) -> None:
    customer = subscribe(make_customer(email="ada@example.com"))
    subscribe(email="vi@example.com")
    stays = subscribe(email="stays@example.com")
    csv = (
        "email,kind\nADA@example.com,bounce\nvi@example.com,Complaint\n\n"
        "nobody@example.com,bounce\n"
    )
    call_command("campaigns_import_bounces", write(tmp_path, csv))
    assert "3 address(es) read: 3 added" in capsys.readouterr().out
    assert is_suppressed("ada@example.com") and is_suppressed("nobody@example.com")
    reasons = dict(SuppressedAddress.objects.values_list("subject_id", "reason"))
    assert reasons[customer.subject_id] == "bounce" and None in reasons
    assert "complaint" in reasons.values()
    # Linked to the people they belong to, so the audience leaves them out at once, and the
    # link is access-logged by the import job (R7).
    assert list(campaign_audience()) == [stays]
    assert AccessEvent.objects.filter(
        actor_label="campaigns_import_bounces", subject=str(customer.subject_id)
    ).exists()
    # Importing the same file again changes nothing.
    call_command("campaigns_import_bounces", write(tmp_path, csv))
    assert "0 added to the suppression list, 3 already on it" in capsys.readouterr().out
    assert SuppressedAddress.objects.count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("good@example.com,bounce\nnot-an-address,bounce\n", "Line 2: 'not-an-address' is not"),
        ("good@example.com,bounce\nbad@example.com,soft\n", "Line 2: kind 'soft' is not one of"),
        ("good@example.com,bounce,extra\n", "Line 1: expected 2 columns"),
        ("good@example.com\x00,bounce\n", "Line 1:"),
        (b"good@example.com,bounce\n\xff\xfe,bounce\n", "not UTF-8"),
    ],
)
def test_a_bad_file_is_refused_whole_naming_the_line(
    tmp_path: Path, content: str | bytes, message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("campaigns_import_bounces", write(tmp_path, content))
    assert not SuppressedAddress.objects.exists()


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no such file"):
        call_command("campaigns_import_bounces", str(tmp_path / "missing.csv"))
