"""Signed checkpoints: incremental, idempotent, verifiable with the public key alone (R7)."""

from __future__ import annotations

import base64
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.checks import run_checks
from django.core.management import call_command

from tutela.audit.api import AccessEvent, AuditCheckpoint, audit_seal, audit_verify
from tutela.audit.merkle import tree_head
from tutela.audit.signing import (
    SigningKeyError,
    checkpoint_body,
    parse_public_key,
    verify_signature,
)
from tutela.audit.tests.conftest import SAM, tamper

pytestmark = pytest.mark.django_db
Events = Callable[..., list[AccessEvent]]


def public_key_from_command(capsys: pytest.CaptureFixture[str]) -> tuple[bytes, str]:
    call_command("audit_public_key")
    out = capsys.readouterr().out
    lines = dict(line.split(":", 1) for line in out.splitlines() if line[:1].islower())
    return base64.b64decode(lines["base64"].strip()), lines["verifier key"].strip()


def test_sealing_signs_the_merkle_head_of_all_events(
    make_events: Events, signing_key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = make_events(5)
    checkpoint = audit_seal(actor=SAM)
    assert checkpoint is not None and checkpoint.tree_size == 5
    assert bytes(checkpoint.root_hash) == tree_head(bytes(e.hash) for e in events)
    assert bytes(checkpoint.last_hash) == bytes(events[-1].hash)
    public, verifier = public_key_from_command(capsys)
    assert parse_public_key(verifier) == public
    body = checkpoint_body(
        checkpoint.origin, 5, bytes(checkpoint.root_hash), bytes(checkpoint.last_hash),
        checkpoint.sealed_at,
    )  # fmt: skip
    assert body.splitlines()[:2] == [checkpoint.origin, "5"]
    assert verify_signature(public, body, bytes(checkpoint.signature))


def test_the_signing_key_is_created_private_and_loose_permissions_are_refused(
    make_events: Events, signing_key_file: Path
) -> None:
    make_events(1)
    audit_seal(actor=SAM)
    assert stat.S_IMODE(signing_key_file.stat().st_mode) == 0o600
    assert not [m for m in run_checks() if m.id == "audit.E001"]
    os.chmod(signing_key_file, 0o644)
    make_events(1)
    with pytest.raises(SigningKeyError, match="chmod 600"):
        audit_seal(actor=SAM)
    assert [m.id for m in run_checks() if m.id == "audit.E001"] == ["audit.E001"]


def test_sealing_is_idempotent_and_incremental(make_events: Events) -> None:
    """Nothing new: same checkpoint. New events: only they are read (an edit to an already
    sealed event does not stop the next seal, but audit_verify still catches it)."""
    assert audit_seal(actor=SAM) is None  # empty log
    events = make_events(4)
    first = audit_seal(actor=SAM)
    assert audit_seal(actor=SAM) == first
    assert AuditCheckpoint.objects.count() == 1
    tamper("UPDATE audit_accessevent SET detail = 'changed' WHERE sequence = 2")
    events += make_events(3)
    second = audit_seal(actor=SAM)
    assert second is not None and second.tree_size == 7
    assert bytes(second.root_hash) == tree_head(bytes(e.hash) for e in events)
    assert audit_verify().first_bad_event.sequence == 2  # type: ignore[union-attr]


def test_someone_without_the_private_key_can_verify_with_the_public_key(
    make_events: Events, signing_key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_events(3)
    call_command("audit_seal")
    note = capsys.readouterr().out
    assert note.splitlines()[1] == "3" and "\n\u2014 " in note
    _public, verifier = public_key_from_command(capsys)
    signing_key_file.unlink()
    assert audit_verify().warnings  # no key to check with: said, not silently passed
    call_command("audit_verify", public_key=[verifier])
    assert "OK: tree head" in capsys.readouterr().out


def test_a_doctored_frontier_stops_the_next_seal(make_events: Events) -> None:
    make_events(3)
    audit_seal(actor=SAM)
    tamper(("UPDATE audit_auditcheckpoint SET frontier = %s", [bytes(64)]))
    make_events(1)
    from tutela.audit.api import ChainBroken

    with pytest.raises(ChainBroken, match="frontier"):
        audit_seal(actor=SAM)
    assert [p.kind for p in audit_verify().problems] == ["bad_checkpoint"]


def test_a_log_name_that_cannot_head_a_signed_note_stops_start_up(settings: Any) -> None:
    settings.TUTELA_AUDIT_ORIGIN = "c-mes access log"
    assert [m.id for m in run_checks() if m.id == "audit.E002"] == ["audit.E002"]
    settings.TUTELA_AUDIT_ORIGIN = "portal.c-mes.co.uk/access-log"
    assert not [m for m in run_checks() if (m.id or "").startswith("audit.")]
