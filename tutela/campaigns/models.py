"""Campaigns: a newsletter written by marketing, and one delivery record per recipient.

A campaign holds the words, the same for everyone, and counts; it names nobody. Who it went to is
in Delivery, keyed by subscriber id: no address is stored here, it is read from the consent app at
the moment of sending (R25). The catalog entries are in privacy.py.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone

from tutela.customers.api import validate_plain_text

SUBJECT_MAX = 150
TEXT_MAX = 50_000
HTML_MAX = 200_000


class Campaign(models.Model):
    """One newsletter: its subject line and bodies, who wrote and sent it, and its progress."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        CANCELLED = "cancelled", "Cancelled"

    subject = models.CharField(
        "subject line", max_length=SUBJECT_MAX, validators=[validate_plain_text]
    )
    text_body = models.TextField(
        "text version", max_length=TEXT_MAX, validators=[validate_plain_text]
    )
    # Optional; checked by services._check_html (no script, no event handlers, no javascript:).
    html_body = models.TextField("HTML version", max_length=HTML_MAX, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    # Labels, not foreign keys: the campaign must outlive the staff members' accounts.
    created_by_label = models.CharField(max_length=120)
    sent_by_label = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Send pressed; the audience computed (its Delivery rows written); the last batch done.
    send_requested_at = models.DateTimeField(null=True, blank=True)
    audience_at = models.DateTimeField(null=True, blank=True)
    progress_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField("finished at", null=True, blank=True)
    # Counts: the audience at send time, then each recipient's outcome (Delivery is the truth;
    # these are kept as it changes so the progress page reads one row).
    audience_count = models.PositiveIntegerField(default=0)
    sent_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    # {reason: count}: consented subscribers left out of the audience when it was computed
    # (suppressed, or a processing blocker such as an objection) ...
    excluded: models.JSONField[dict[str, int]] = models.JSONField(default=dict, blank=True)
    # ... and audience members skipped when their turn came (consent withdrawn since, ...).
    skipped_reasons: models.JSONField[dict[str, int]] = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]
        permissions = (("send_campaign", "Can send a newsletter campaign to its audience"),)

    def __str__(self) -> str:
        return self.subject

    @property
    def done_count(self) -> int:
        """Audience members whose turn has come (sent, skipped or failed)."""
        return self.sent_count + self.skipped_count + self.failed_count

    @property
    def percent_done(self) -> int:
        """Progress through the audience, 0-100."""
        if not self.audience_count:
            return 100 if self.status == self.Status.SENT else 0
        return min(100, self.done_count * 100 // self.audience_count)

    @property
    def is_draft(self) -> bool:
        """Still being written: can be edited, sent or cancelled."""
        return self.status == self.Status.DRAFT


class Delivery(models.Model):
    """One audience member of one campaign: written before the email is sent, so a send that
    is interrupted and resumed never mails anyone twice (at most once; see sending.py).

    One row per subscriber and campaign: the audience is written once, under a lock on the
    campaign (sending.campaign_audience_freeze). No unique index says so, for the same reason
    as the foreign key below; tests check it.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        # Taken by a sender, committed, then sent: still CLAIMED after a crash means "may or
        # may not have gone", and it is never sent again (marked failed, reason interrupted).
        CLAIMED = "claimed", "Being sent"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Skipped"
        FAILED = "failed", "Failed"

    id = models.BigAutoField(primary_key=True)
    # No database constraint and no index of its own: a campaign's audience is written as one
    # INSERT ... SELECT of up to a million rows, where a per-row foreign-key check and a fifth
    # index cost more than the rest of the statement (docs/benchmarks.md). The rows are written
    # only by sending.campaign_audience_freeze for a campaign it holds locked, campaigns are
    # never deleted (PROTECT), and the queue index below starts with campaign_id.
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.PROTECT,
        related_name="deliveries",
        db_constraint=False,
        db_index=False,
    )
    # consent.Subscriber's id, not a foreign key: erasing the subscriber deletes these rows
    # through the catalog, and a campaign's table must not lock or cascade into consent's.
    subscriber_id = models.UUIDField()
    subject_id = models.UUIDField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    # Why skipped or failed: a short code (withdrawn, suppressed, objection, SMTPDataError...),
    # never an address or a server's message (which may quote one).
    reason = models.CharField(max_length=64, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["campaign", "id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["campaign", "status", "id"], name="campaigns_delivery_queue"),
            models.Index(fields=["subject_id"], name="campaigns_delivery_subject"),
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk} of campaign #{self.campaign_id}"
