"""Requests to use a data-subject right, their append-only history, and access exports.

Everything a person or staff member writes here is encrypted under the subject's keys (R6): who
asked (name and email, account key, found by blind index) and what was said (details, notes,
reasons, support key); erasing the person (crypto-shredding) reaches it. What stays readable is
what proves the request was handled: its kind, dates, status and the history of changes.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, ClassVar, NoReturn

from django.core.validators import EmailValidator
from django.db import models
from django.utils import timezone

from tutela.crypto.api import (
    BlindIndexField,
    EncryptedBinaryField,
    EncryptedJSONField,
    EncryptedTextField,
    KeyClass,
)
from tutela.customers.api import Customer, validate_plain_text
from tutela.rights.clock import Clock


def _text(label: str, *, key_class: str = KeyClass.SUPPORT, **options: Any) -> EncryptedTextField:
    """Free text about a request, encrypted under the subject's key (R6) and plain (R40)."""
    validators = [validate_plain_text, *options.pop("validators", ())]
    return EncryptedTextField(label, key_class=key_class, validators=validators, **options)


class DataSubjectRequest(models.Model):
    """A request to use a right (access, erasure, ...), from receipt to its answer (R9-R19)."""

    class Kind(models.TextChoices):
        # The values are the policy file's right keys: the deadline is read from there.
        ACCESS = "access", "A copy of my data (access)"
        PORTABILITY = "portability", "My data in a machine-readable file (portability)"
        ERASURE = "erasure", "Delete my data (erasure)"
        RECTIFICATION = "rectification", "Correct my data (rectification)"
        RESTRICTION = "restriction", "Limit the processing of my data (restriction)"
        OBJECTION = "objection", "Object to the processing of my data (objection)"

    class Channel(models.TextChoices):
        ACCOUNT = "account", "Personal account"
        EMAIL = "email", "Email"
        PHONE = "phone", "Phone"
        POST = "post", "Post"
        API = "api", "API"

    class Status(models.TextChoices):
        AWAITING_VERIFICATION = "awaiting_verification", "Awaiting identity verification"
        IN_PROGRESS = "in_progress", "In progress"
        AWAITING_CLARIFICATION = "awaiting_clarification", "Waiting for clarification"
        FEE_REQUESTED = "fee_requested", "Fee requested"
        DONE = "done", "Done"
        REFUSED = "refused", "Refused"

    class Verification(models.TextChoices):
        REAUTHENTICATION = "reauthentication", "Recent re-authentication in the account"
        EMAIL_LINK = "email_link", "Followed a verification link sent by email"
        STAFF_CHECK = "staff_check", "Identity check recorded by staff"

    class Manifestly(models.TextChoices):
        UNFOUNDED = "unfounded", "Manifestly unfounded"
        EXCESSIVE = "excessive", "Manifestly excessive"

    class Decision(models.TextChoices):
        REFUSE = "refuse", "Refuse the request"
        FEE = "fee", "Ask for a reasonable fee"

    # The clock is paused in these states (R11): the person has something to do.
    PAUSED_STATUSES: ClassVar[frozenset[str]] = frozenset(
        {Status.AWAITING_VERIFICATION, Status.AWAITING_CLARIFICATION, Status.FEE_REQUESTED}
    )
    CLOSED_STATUSES: ClassVar[frozenset[str]] = frozenset({Status.DONE, Status.REFUSED})

    # A UUID assigned in Python: the encrypted values are bound to their row id before insert.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # The customer's subject id; for a person without an account, a random subject of its own.
    subject_id = models.UUIDField(editable=False, db_index=True)
    # Kept when the account goes: the request is evidence that it was answered.
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rights_requests",
    )
    # Who asked and where we answer, when the request did not come from an account.
    requester_name = _text("name", key_class=KeyClass.ACCOUNT, max_length=150, blank=True)
    requester_email = _text(
        "email address",
        key_class=KeyClass.ACCOUNT,
        max_length=254,
        blank=True,
        blind_index="requester_email_bidx",
        validators=(EmailValidator("Enter a valid email address."),),
    )
    requester_email_bidx = BlindIndexField(
        source="requester_email", label="rights.requester_email", db_index=True
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    received_at = models.DateTimeField(default=timezone.now)
    # The policy's period for this right when the request arrived: the promise made then.
    period_days = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=24, choices=Status.choices)
    # The clock (tutela.rights.clock): pauses that ended, the one in course, the extension.
    paused_total = models.DurationField(default=timedelta(0))
    paused_since = models.DateTimeField(null=True, blank=True)
    extension_months = models.PositiveSmallIntegerField(default=0)
    identity_verified_at = models.DateTimeField(null=True, blank=True)
    identity_method = models.CharField(max_length=24, choices=Verification.choices, blank=True)
    # What staff checked, never a copy of a document (R12: verification data kept minimal).
    identity_note = _text("identity check", max_length=500, blank=True)
    details = _text("details", max_length=4000, blank=True)
    # Set automatically when the same person made repeated requests of the same kind (R13).
    possibly_excessive = models.BooleanField(default=False)
    manifestly = models.CharField(max_length=12, choices=Manifestly.choices, blank=True)
    decision = models.CharField(max_length=8, choices=Decision.choices, blank=True)
    decision_reason = _text("reason", max_length=2000, blank=True)
    fee_pence = models.PositiveIntegerField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    outcome_note = _text("outcome", max_length=2000, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # A label, not a foreign key: the record must outlive a staff member's account.
    entered_by_label = models.CharField(max_length=120)

    class Meta:
        ordering: ClassVar[list[str]] = ["-received_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["subject_id", "kind", "received_at"]),
            models.Index(fields=["status"]),
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=models.Q(extension_months__lte=2), name="rights_dsr_extension_2_months"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} request {self.reference}"

    @property
    def reference(self) -> str:
        """A short reference for emails and the queue: the first 8 hex digits of the id."""
        return f"DSR-{self.pk.hex[:8].upper()}"

    @property
    def is_open(self) -> bool:
        """Not yet answered (done or refused)."""
        return self.status not in self.CLOSED_STATUSES

    @property
    def is_verified(self) -> bool:
        """The person's identity has been confirmed (R12)."""
        return self.identity_verified_at is not None

    @property
    def fee_text(self) -> str:
        """The fee asked, as "£12.50"; "" when none."""
        return "" if self.fee_pence is None else f"£{self.fee_pence / 100:,.2f}"

    @property
    def clock(self) -> Clock:
        """The deadline clock as stored."""
        return Clock(
            received_at=self.received_at,
            period=timedelta(days=self.period_days),
            paused_total=self.paused_total,
            paused_since=self.paused_since,
            extension_months=self.extension_months,
            stopped_at=self.closed_at,
        )

    def clock_store(self, clock: Clock) -> None:
        """Copy a changed clock back onto the fields (the services save them)."""
        self.paused_total = clock.paused_total
        self.paused_since = clock.paused_since
        self.extension_months = clock.extension_months
        self.closed_at = clock.stopped_at


class AppendOnlyQuerySet(models.QuerySet["DsrEvent"]):
    """A queryset that reads and adds, but refuses to change or remove history."""

    def _refuse(self, what: str) -> NoReturn:
        raise TypeError(f"the history of a rights request is append-only: {what} refused")

    def update(self, **kwargs: Any) -> NoReturn:
        """Refused: history is append-only."""
        self._refuse("update()")

    def delete(self) -> NoReturn:
        """Refused: history is append-only."""
        self._refuse("delete()")


class DsrEvent(models.Model):
    """One step in a request's history, written in the same transaction as the change itself."""

    class Kind(models.TextChoices):
        OPENED = "opened", "Received"
        FLAGGED = "flagged", "Flagged as possibly excessive (repeated)"
        VERIFICATION_SENT = "verification_sent", "Verification link sent"
        VERIFIED = "verified", "Identity verified"
        PAUSED = "paused", "Clock paused: clarification asked"
        RESUMED = "resumed", "Clock resumed"
        EXTENDED = "extended", "Deadline extended"
        DECIDED = "decided", "Decision on a manifestly unfounded or excessive request"
        EXPORT_READY = "export_ready", "Copy of the data ready to download"
        COMPLETED = "completed", "Completed"
        REMINDER_SENT = "reminder_sent", "Reminder sent to the privacy officers"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.ForeignKey(DataSubjectRequest, on_delete=models.PROTECT, related_name="events")
    # Copied from the request so the note's data key is found without a join.
    subject_id = models.UUIDField(editable=False)
    # 1, 2, 3... per request: the order of events written in the same instant.
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)
    # A label, not a foreign key: history must outlive a staff member's account.
    actor_label = models.CharField(max_length=120)
    status_after = models.CharField(max_length=24, choices=DataSubjectRequest.Status.choices)
    note = _text("note", max_length=2000, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering: ClassVar[list[str]] = ["request", "position"]
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["kind", "at"])]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["request", "position"], name="rights_event_position")
        ]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Insert only: an existing event is never rewritten."""
        if not self._state.adding:
            raise TypeError("the history of a rights request is append-only: save() refused")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Refused: history is append-only."""
        raise TypeError("the history of a rights request is append-only: delete() refused")


class ExportFile(models.Model):
    """A copy of everything we hold about a subject (JSON and a readable HTML document), kept
    encrypted until its download link expires (R9, R10)."""

    class Format(models.TextChoices):
        JSON = "json", "JSON (machine-readable)"
        HTML = "html", "Readable document (HTML, printable to PDF)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.ForeignKey(
        DataSubjectRequest, on_delete=models.PROTECT, related_name="exports"
    )
    subject_id = models.UUIDField(editable=False, db_index=True)
    json_data = EncryptedBinaryField(key_class=KeyClass.ACCOUNT)
    html_data = EncryptedBinaryField(key_class=KeyClass.ACCOUNT)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["expires_at"])]

    def __str__(self) -> str:
        return f"export {self.pk}"

    def is_live(self, *, now: datetime | None = None) -> bool:
        """The link still works."""
        return (now or timezone.now()) < self.expires_at

    def content(self, fmt: str) -> bytes:
        """The stored bytes of one format."""
        return bytes(self.json_data if fmt == self.Format.JSON else self.html_data)


# --- Erasure (tutela.rights.services.erasure) ---------------------------------------------------


class ErasureRun(models.Model):
    """One erasure, carried out in recorded steps so that a failure part-way can be resumed.

    Nothing here names the person except the addresses captured before their data was erased
    (for the confirmation and the suppression list): encrypted under a key of the run's own,
    which the run shreds as its last step.
    """

    class Step(models.TextChoices):
        # In the order they run (services/erasure.py).
        PLAN = "plan", "Plan: what is erased, anonymised and kept"
        ROWS = "rows", "Delete, anonymise and hold the rows"
        SHRED = "shred", "Shred the data keys"
        SUPPRESS = "suppress", "Keep the address on the suppression list"
        NOTIFY = "notify", "Record a task per processor"
        DELIVER = "deliver", "Send the processors' webhooks"
        CONFIRM = "confirm", "Confirm to the person"
        FORGET = "forget", "Forget the captured address"

    class Status(models.TextChoices):
        RUNNING = "running", "Not finished"
        DONE = "done", "Done"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The request it answers (bulk erasure for retention sweeps keeps no run).
    request = models.OneToOneField(
        DataSubjectRequest, on_delete=models.PROTECT, related_name="erasure_run"
    )
    subject_id = models.UUIDField(editable=False, db_index=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)
    # {"to": "<address for the confirmation>", "suppress": ["<address>", ...]}, under a key of
    # the run's own subject (its id), not the person's: their keys are shredded before the
    # confirmation is sent.
    contact_emails = EncryptedJSONField(key_class=KeyClass.ACCOUNT, subject_field="id")
    # What the plan step found: per catalog entry the action and row count, the categories the
    # person had, the processors to tell. Counts and policy keys only, never a value.
    plan = models.JSONField(default=dict)
    started_at = models.DateTimeField(default=timezone.now)
    started_by = models.CharField(max_length=120)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The last failure (step, exception type and message), shown to staff until a re-run.
    last_error = models.CharField(max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-started_at"]

    def __str__(self) -> str:
        return f"erasure run {self.pk} ({self.status})"


class ErasureStep(models.Model):
    """A step of an erasure run that has completed, with what it did (counts, no values)."""

    run = models.ForeignKey(ErasureRun, on_delete=models.PROTECT, related_name="steps")
    step = models.CharField(max_length=8, choices=ErasureRun.Step.choices)
    done_at = models.DateTimeField(default=timezone.now)
    summary = models.JSONField(default=dict)

    class Meta:
        ordering: ClassVar[list[str]] = ["run", "done_at", "id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["run", "step"], name="rights_erasure_step_once")
        ]

    def __str__(self) -> str:
        return f"{self.step} done at {self.done_at:%Y-%m-%d %H:%M}"


class LegalHold(models.Model):
    """Rows kept through an erasure because the law needs them, with the reason and the date the
    hold ends (R14, R32): the retention rule removes them then."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject_id = models.UUIDField(editable=False)
    # The erasure that first recorded it (none for bulk erasure).
    run = models.ForeignKey(
        ErasureRun, null=True, blank=True, on_delete=models.PROTECT, related_name="holds"
    )
    # The policy file's retention rule (financial_records, rights_requests, ...).
    retention = models.CharField(max_length=64)
    # [{"label": "commerce.Invoice", "name": "invoices", "rows": 2}, ...]
    sources = models.JSONField(default=list)
    # The latest date the rule counts from among the kept rows (the last transaction, say).
    starts_at = models.DateTimeField()
    # None for a rule that runs "until the purpose ends".
    ends_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.CharField(max_length=120)

    class Meta:
        ordering: ClassVar[list[str]] = ["subject_id", "retention"]
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["ends_at"])]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            # One hold per person and rule: a later erasure extends it rather than adding one.
            models.UniqueConstraint(fields=["subject_id", "retention"], name="rights_hold_once")
        ]

    def __str__(self) -> str:
        until = f"{self.ends_at:%Y-%m-%d}" if self.ends_at else "the purpose ends"
        return f"hold under {self.retention} until {until}"


class ProcessorNotice(models.Model):
    """A processor to be told of an erasure (Art. 17(2), 19): by webhook where one is
    configured, else by the privacy officer, who ticks it off with what the processor confirmed."""

    class Method(models.TextChoices):
        WEBHOOK = "webhook", "Automatic (webhook)"
        MANUAL = "manual", "By the privacy officer"

    class Status(models.TextChoices):
        PENDING = "pending", "To do"
        FAILED = "failed", "Webhook failed: to do by hand or retry"
        DELIVERED = "delivered", "Delivered by webhook"
        DONE = "done", "Done by the privacy officer"

    OPEN_STATUSES: ClassVar[frozenset[str]] = frozenset({Status.PENDING, Status.FAILED})

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    run = models.ForeignKey(ErasureRun, on_delete=models.PROTECT, related_name="notices")
    subject_id = models.UUIDField(editable=False)
    # The policy file's processor key, and how it named the processor when the task was made.
    processor = models.CharField(max_length=64)
    processor_label = models.CharField(max_length=200)
    # Category keys: to erase (the processor received them and we erased them), and kept under
    # a legal hold (the processor may keep its copy until the same date).
    erase = models.JSONField(default=list)
    keep = models.JSONField(default=list)
    method = models.CharField(max_length=8, choices=Method.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.CharField(max_length=120, blank=True)
    # What the processor confirmed (a ticket number, "deleted on 3 May"): never personal data,
    # the person's keys are gone by now, so it is stored in the clear.
    confirmation = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["created_at", "processor"]
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["status", "created_at"])]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["run", "processor"], name="rights_notice_once")
        ]

    def __str__(self) -> str:
        return f"tell {self.processor} ({self.status})"

    @property
    def is_open(self) -> bool:
        """Still to be done (by hand, or the webhook failed)."""
        return self.status in self.OPEN_STATUSES
