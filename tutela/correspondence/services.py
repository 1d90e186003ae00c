"""Writes for correspondence: each refuses bad input with a ValidationError and then stores
nothing, and appends its access-log event in the same transaction as the change (R7, R40)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from tutela.audit.api import AccessEntry, Actor, access_record, access_record_many
from tutela.correspondence import scan
from tutela.correspondence.mail import ParsedEmail, RawMessage, Refused, parse_message
from tutela.correspondence.models import (
    MESSAGE_ID_INDEX,
    CallRecord,
    CallRecording,
    Direction,
    EmailRecord,
)
from tutela.crypto.api import KeyClass, blind_index, subject_shred
from tutela.customers.api import Customer, customer_for_email
from tutela.policy.api import catalog_entry_for, current_policy

RECORDING_MAX_BYTES = 25 * 1024 * 1024
# A clock a few minutes fast on a staff laptop is not a call in the future.
CLOCK_SKEW = timedelta(minutes=5)
IMPORT_BATCH = 100


def _not_in_future(name: str, when: datetime | None, what: str) -> dict[str, str]:
    if when is not None and when > timezone.now() + CLOCK_SKEW:
        return {name: f"The {what} cannot be in the future."}
    return {}


def _errors_of(exc: ValidationError) -> dict[str, list[str]]:
    return dict(exc.message_dict) if hasattr(exc, "error_dict") else {"__all__": exc.messages}


def _log_create(
    record: EmailRecord | CallRecord,
    actor: Actor,
    request: HttpRequest | None,
    categories: tuple[str, ...],
    detail: str,
) -> None:
    entry = catalog_entry_for(type(record))
    access_record(
        actor=actor,
        subject=record.subject_id,
        categories=categories,
        purpose=entry.purpose,
        action="create",
        request=request,
        detail=detail,
    )


# --- emails ------------------------------------------------------------------------------------


def _addresses(value: str) -> tuple[str, list[str]]:
    """Comma-separated addresses, normalised, with a message per invalid one."""
    found, errors = [], []
    for part in value.replace(";", ",").split(","):
        address = part.strip().lower()
        if not address:
            continue
        try:
            validate_email(address)
        except ValidationError:
            errors.append(f"{address[:60]!r} is not a valid email address.")
        found.append(address)
    return ", ".join(found), errors


def email_record_create(
    *,
    customer: Customer,
    direction: str,
    from_address: str,
    to_addresses: str,
    subject_line: str,
    body: str,
    sent_at: datetime,
    actor: Actor,
    request: HttpRequest | None = None,
) -> EmailRecord:
    """Store an email a staff member sent or received outside the mailbox import.

    Refuses with a ValidationError keyed by field, storing nothing: an unknown direction, an
    invalid sender or recipient, an empty or over-long body, control characters, a date in the
    future. The text is scanned for personal data and the findings stored with it.
    """
    to_text, to_errors = _addresses(to_addresses)
    from_text, from_errors = _addresses(from_address)
    if "," in from_text:
        from_errors.append("Give one sender.")
    record = EmailRecord(
        customer=customer,
        subject_id=customer.subject_id,
        direction=direction,
        source=EmailRecord.Source.STAFF,
        from_address=from_text,
        to_addresses=to_text,
        subject_line=subject_line.strip(),
        body=body.strip(),
        message_id="",
        sent_at=sent_at,
        recorded_by_label=actor.label,
    )
    errors: dict[str, list[str]] = {}
    try:
        record.full_clean(exclude=["customer"])
    except ValidationError as exc:
        errors.update(_errors_of(exc))
    for name, problems in (("from_address", from_errors), ("to_addresses", to_errors)):
        if problems:
            errors.setdefault(name, []).extend(problems)
    for name, message in _not_in_future("sent_at", sent_at, "date sent").items():
        errors.setdefault(name, []).append(message)
    if errors:
        raise ValidationError(errors)
    record.findings = scan.findings_for_fields(
        {"subject_line": record.subject_line, "body": record.body}
    )
    with transaction.atomic():
        record.save()
        _log_create(
            record,
            actor,
            request,
            catalog_entry_for(EmailRecord).categories,
            f"email {record.get_direction_display().lower()} entered by staff",
        )
    return record


@dataclass
class ImportReport:
    """What an import did: messages filed to a customer, left unmatched, already there, refused."""

    filed: int = 0
    unmatched: int = 0
    duplicates: int = 0
    # (where the message came from, why it was refused)
    refused: list[tuple[str, str]] = field(default_factory=list)

    @property
    def imported(self) -> int:
        """Messages stored by this import."""
        return self.filed + self.unmatched


def _message_index(message_id: str) -> str:
    return blind_index(MESSAGE_ID_INDEX, message_id, normaliser="exact")


def _match(parsed: ParsedEmail) -> tuple[str, Customer | None]:
    """(direction, customer): mail from our own address went out, matched by its recipients;
    anything else came in, matched by its sender. Lookups go through customers' own selector
    (a blind index), never our own query on the email column."""
    ours = str(current_policy().contacts.email).lower()
    if parsed.from_address == ours:
        for address in parsed.to_addresses:
            customer = customer_for_email(address)
            if customer is not None:
                return Direction.OUTGOING, customer
        return Direction.OUTGOING, None
    return Direction.INCOMING, customer_for_email(parsed.from_address)


def _imported_record(parsed: ParsedEmail, actor: Actor) -> EmailRecord:
    """An unsaved, validated record of a parsed message, scanned; Refused if it does not fit."""
    direction, customer = _match(parsed)
    record = EmailRecord(
        customer=customer,
        # Unmatched mail: a random subject of its own (see the model).
        subject_id=customer.subject_id if customer is not None else uuid.uuid4(),
        direction=direction,
        source=EmailRecord.Source.IMPORT,
        from_address=parsed.from_address,
        to_addresses=", ".join(parsed.to_addresses),
        subject_line=parsed.subject_line,
        body=parsed.body,
        message_id=parsed.message_id,
        sent_at=parsed.sent_at,
        recorded_by_label=actor.label,
    )
    try:
        record.full_clean(exclude=["customer", "message_id_bidx"])
    except ValidationError as exc:
        # Field names and our validators' messages only: never the offending value.
        problems = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in _errors_of(exc).items())
        raise Refused(problems) from None
    record.findings = scan.findings_for_fields(
        {"subject_line": record.subject_line, "body": record.body}
    )
    return record


def _store_batch(records: list[EmailRecord], actor: Actor, report: ImportReport) -> None:
    """Save a batch and append its access-log events in one transaction."""
    if not records:
        return
    entry = catalog_entry_for(EmailRecord)
    with transaction.atomic():
        events = []
        for record in records:
            try:
                with transaction.atomic():
                    record.save()
            except IntegrityError:  # imported meanwhile by a concurrent run
                report.duplicates += 1
                continue
            if record.customer_id is None:
                report.unmatched += 1
            else:
                report.filed += 1
            events.append(
                AccessEntry(
                    subject=record.subject_id,
                    categories=entry.categories,
                    purpose=entry.purpose,
                    action="create",
                    detail="email imported" + (" (unmatched)" if record.is_unmatched else ""),
                )
            )
        if events:
            access_record_many(actor=actor, entries=events)


def emails_import(
    *, messages: Iterable[RawMessage], actor: Actor, batch_size: int = IMPORT_BATCH
) -> ImportReport:
    """Import messages read from .eml files or mbox mailboxes; never raises for a bad message.

    Each message is matched to a customer by its sender (or, for mail we sent, its recipients);
    a message matching no one is stored under a random subject of its own, for staff to file
    later. Already-imported messages (same Message-ID, or same bytes without one) are counted
    and skipped, so running an import twice stores nothing twice. Unusable messages are refused
    with a reason. Side effects: the records, and one access-log event per record stored,
    written in the same transaction as its batch of `batch_size`.
    """
    report = ImportReport()
    pending: list[EmailRecord] = []
    seen: set[str] = set()
    for raw in messages:
        if raw.data is None:
            report.refused.append((raw.label, raw.unreadable or "it cannot be read"))
            continue
        try:
            parsed = parse_message(raw.data)
            index = _message_index(parsed.message_id)
            if index in seen or EmailRecord.objects.filter(message_id_bidx=index).exists():
                report.duplicates += 1
                continue
            record = _imported_record(parsed, actor)
        except Refused as exc:
            report.refused.append((raw.label, exc.reason))
            continue
        seen.add(index)
        pending.append(record)
        if len(pending) >= batch_size:
            _store_batch(pending, actor, report)
            pending = []
    _store_batch(pending, actor, report)
    return report


# Every encrypted column of EmailRecord (they carry a key class), so a field added later is not
# forgotten when a message changes subject.
_ENCRYPTED_EMAIL_FIELDS = tuple(
    f.attname for f in EmailRecord._meta.concrete_fields if hasattr(f, "key_class")
)


def email_file(
    *, record: EmailRecord, customer: Customer, actor: Actor, request: HttpRequest | None = None
) -> EmailRecord:
    """File an unmatched imported email to the customer it concerns.

    Side effects: the record moves to the customer's subject, its text re-encrypted under their
    support key; one access-log event (a change of the customer's data) in the same
    transaction; after commit, the message's own random key is shredded, so copies of the old
    ciphertext (backups) can no longer be read. Refuses with a ValidationError a message that
    is already filed.
    """
    with transaction.atomic():
        locked = EmailRecord.objects.select_for_update().filter(pk=record.pk).first()
        if locked is None or not locked.is_unmatched:
            raise ValidationError("This message is already filed to a customer.", code="filed")
        old_subject = locked.subject_id
        # Decrypt every value under the old subject before the subject changes: a new subject
        # makes the field forget the old ciphertexts, so saving encrypts them afresh under the
        # customer's key (tutela/crypto/fields.py, _RowState).
        for name in _ENCRYPTED_EMAIL_FIELDS:
            getattr(locked, name)
        locked.customer = customer
        locked.subject_id = customer.subject_id
        locked.filed_at = timezone.now()
        locked.filed_by_label = actor.label
        locked.save()
        entry = catalog_entry_for(EmailRecord)
        access_record(
            actor=actor,
            subject=customer.subject_id,
            categories=entry.categories,
            purpose=entry.purpose,
            action="change",
            request=request,
            detail="unmatched email filed to this customer",
        )
        transaction.on_commit(
            lambda: subject_shred(
                subject=old_subject,
                key_classes=[KeyClass.SUPPORT],
                actor_label=actor.label,
                reason="unmatched email filed to a customer and re-encrypted under their key",
            )
        )
    return locked


# --- calls -------------------------------------------------------------------------------------


def recording_format(head: bytes) -> str | None:
    """The audio format its first bytes show (WAV, MP3, Ogg), or None."""
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return CallRecording.Format.WAV
    if head[:4] == b"OggS":
        return CallRecording.Format.OGG
    if head[:3] == b"ID3":
        return CallRecording.Format.MP3
    # A bare MPEG audio frame: 11 sync bits, a valid version, layer III.
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        version, layer = (head[1] >> 3) & 0b11, (head[1] >> 1) & 0b11
        if version != 0b01 and layer == 0b01:
            return CallRecording.Format.MP3
    return None


def _recording(upload: IO[bytes] | None) -> tuple[bytes, str] | None:
    """The recording's bytes and format; ValidationError on "recording" for a bad file."""
    if upload is None:
        return None
    data = upload.read(RECORDING_MAX_BYTES + 1)
    if len(data) > RECORDING_MAX_BYTES:
        limit = RECORDING_MAX_BYTES // (1024 * 1024)
        raise ValidationError({"recording": f"The recording is larger than {limit} MB."})
    if not data:
        raise ValidationError({"recording": "The recording file is empty."})
    kind = recording_format(data[:16])
    if kind is None:
        raise ValidationError({"recording": "The recording must be a WAV, MP3 or Ogg audio file."})
    return data, kind


def call_record_create(
    *,
    customer: Customer,
    occurred_at: datetime,
    direction: str,
    duration_seconds: int,
    notes: str,
    recording: IO[bytes] | None = None,
    actor: Actor,
    request: HttpRequest | None = None,
) -> CallRecord:
    """Record a phone call with a customer, taken by `actor`, with an optional recording.

    Refuses with a ValidationError keyed by field, storing nothing: a time in the future, an
    unknown direction, a negative or day-long duration, notes too long or with control
    characters, a recording that is empty, too large or not WAV/MP3/Ogg audio (judged by its
    bytes). The notes are scanned for personal data and the findings stored with them.
    """
    call = CallRecord(
        customer=customer,
        subject_id=customer.subject_id,
        occurred_at=occurred_at,
        direction=direction,
        duration_seconds=duration_seconds,
        staff_label=actor.label,
        notes=notes.strip(),
    )
    errors: dict[str, list[str]] = {}
    try:
        call.full_clean(exclude=["customer"])
    except ValidationError as exc:
        errors.update(_errors_of(exc))
    for name, message in _not_in_future("occurred_at", occurred_at, "call").items():
        errors.setdefault(name, []).append(message)
    try:
        audio = _recording(recording)
    except ValidationError as exc:
        errors.update(_errors_of(exc))
    if errors:
        raise ValidationError(errors)
    call.findings = scan.findings_for_fields({"notes": call.notes})
    categories = catalog_entry_for(CallRecord).categories
    with transaction.atomic():
        call.save()
        if audio is not None:
            data, kind = audio
            CallRecording.objects.create(
                call=call, subject_id=call.subject_id, audio=data, content_type=kind, size=len(data)
            )
            categories = (*categories, *catalog_entry_for(CallRecording).categories)
        _log_create(
            call,
            actor,
            request,
            categories,
            f"call record{' with recording' if audio else ''} entered by staff",
        )
    return call
