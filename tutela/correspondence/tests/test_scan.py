"""The personal-data scan: what it finds, how it redacts, and that it never goes online."""

from __future__ import annotations

import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tutela.correspondence import scan

LETTER = (
    "Hello, this is Ada. Write to ada.lovelace@example.co.uk or call 020 8068 4673. "
    "My card is 4111 1111 1111 1111 and my IBAN GB82 WEST 1234 5698 7654 32. "
    "I connected from 203.0.113.7; see https://analytical-engines.example.com/orders. "
    "NI number AB123456C, postcode NW1 5LR."
)


def found(text: str) -> dict[str, str]:
    """{entity type: matched text} (test-side only: the app never stores the matched text)."""
    return {f["entity_type"]: text[f["start"] : f["end"]] for f in scan.findings_for(text)}


def test_scanning_works_with_the_network_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    """tldextract must use its bundled suffix list: any connection attempt fails this test.

    Patching socket.connect is acceptable here: it guards against the internet, not against
    our database, cache or broker (whose connections are already open or not TCP)."""
    attempts: list[object] = []

    def refuse(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise OSError("network access is not allowed in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(scan, "_engine", None)  # build it afresh, inside the guard
    result = found("Mail me at someone@example.org, please.")
    assert result == {"EMAIL_ADDRESS": "someone@example.org"}
    assert attempts == []


def test_the_scan_finds_each_kind_of_personal_data_it_looks_for() -> None:
    """Email, UK phone, card, IBAN, IP, URL, National Insurance number and postcode."""
    result = found(LETTER)
    assert result["EMAIL_ADDRESS"] == "ada.lovelace@example.co.uk"
    assert result["PHONE_NUMBER"] == "020 8068 4673"
    assert result["CREDIT_CARD"] == "4111 1111 1111 1111"
    assert result["IBAN_CODE"] == "GB82 WEST 1234 5698 7654 32"
    assert result["IP_ADDRESS"] == "203.0.113.7"
    assert result["URL"].startswith("https://analytical-engines.example.com/orders")
    assert result["UK_NINO"] == "AB123456C"
    assert result["UK_POSTCODE"] == "NW1 5LR"


def test_the_domain_of_an_email_address_is_not_reported_again_as_a_url() -> None:
    findings = scan.findings_for("Reply to ada@example.co.uk")
    assert [f["entity_type"] for f in findings] == ["EMAIL_ADDRESS"]


def test_findings_hold_positions_and_scores_but_never_the_text() -> None:
    findings = scan.findings_for(LETTER)
    assert findings
    for finding in findings:
        assert set(finding) == {"entity_type", "start", "end", "score"}
        assert 0 <= finding["start"] < finding["end"] <= len(LETTER)
        assert 0.0 <= finding["score"] <= 1.0
    assert "ada.lovelace" not in repr(findings)


def test_empty_or_blank_text_has_no_findings() -> None:
    assert scan.findings_for("") == []
    assert scan.findings_for("   \n ") == []
    assert scan.findings_for("Thank you for your help with the order.") == []


def test_the_engine_is_built_once_per_process() -> None:
    assert scan.analyzer() is scan.analyzer()


def test_redact_replaces_every_finding_with_its_kind() -> None:
    redacted = scan.redact(LETTER, scan.findings_for(LETTER))
    for secret in ("ada.lovelace@", "020 8068 4673", "4111 1111", "GB82", "203.0.113.7"):
        assert secret not in redacted
    assert "[EMAIL_ADDRESS]" in redacted and "[CREDIT_CARD]" in redacted
    assert redacted.startswith("Hello, this is Ada.")  # names are not found without a model


def test_redact_merges_overlaps_and_ignores_positions_outside_the_text() -> None:
    text = "call 07911 123456 now"
    findings = [
        {"entity_type": "PHONE_NUMBER", "start": 5, "end": 17, "score": 0.4},
        {"entity_type": "URL", "start": 10, "end": 17, "score": 0.5},
        {"entity_type": "EMAIL_ADDRESS", "start": 40, "end": 50, "score": 1.0},
    ]
    assert scan.redact(text, findings) == "call [PHONE_NUMBER] now"
    assert scan.redact(text, []) == text


spans = st.lists(
    st.tuples(st.integers(-5, 60), st.integers(-5, 60), st.sampled_from(["URL", "IBAN_CODE"])),
    max_size=6,
)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=50), spans)
def test_redact_never_fails_and_keeps_the_text_around_the_findings(
    text: str, raw: list[tuple[int, int, str]]
) -> None:
    """Property: any findings (overlapping, reversed, out of range) redact without error, and
    the text before the first and after the last redacted stretch is kept as it was."""
    findings = [{"entity_type": kind, "start": a, "end": b, "score": 0.5} for a, b, kind in raw]
    redacted = scan.redact(text, findings)
    real = [(max(0, a), min(len(text), b)) for a, b, _ in raw if max(0, a) < min(len(text), b)]
    if not real:
        assert redacted == text
    else:
        first, last = min(a for a, _ in real), max(b for _, b in real)
        assert redacted.startswith(text[:first]) and redacted.endswith(text[last:])
        assert "[" in redacted


@settings(max_examples=30, deadline=None)
@given(st.text(max_size=200))
def test_the_scan_accepts_any_text(text: str) -> None:
    """Property: arbitrary text (control characters, any script) scans without error, and every
    finding lies inside the text."""
    for finding in scan.findings_for(text):
        assert 0 <= finding["start"] < finding["end"] <= len(text)
