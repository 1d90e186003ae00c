"""Sending a campaign: the audience computed when the send starts, then batches of recipients.

1. Freeze the audience (campaign_audience_freeze): one INSERT ... SELECT of the audience query
   (selectors.campaign_audience: consent in force, not suppressed, not blocked) writes a PENDING
   Delivery per member, with the campaign's counts, in one transaction, once per campaign.
2. Send in batches (campaign_send_batch), each in three steps:
   a. one transaction: claim the next PENDING rows (CLAIMED), read each recipient again with
      consent's newsletter_recipient (consent and suppression at this moment, R25) and the
      processing blockers, mark those who no longer qualify SKIPPED with the reason, and log
      every address read in the access log, as one batch (R7);
   b. send each message over one connection, built by consent's newsletter_message (footer
      unsubscribe link, List-Unsubscribe and List-Unsubscribe-Post, R23);
   c. one transaction: record each outcome (SENT, or FAILED with the error's class name).

Delivery guarantee: at most once per recipient. A row is CLAIMED and committed before its email
is handed to the mail server, and a claimed row is never claimed again. If the process dies
between the two, the row stays CLAIMED: after TUTELA_CAMPAIGN_STALL_MINUTES it is marked FAILED
("interrupted") and not resent, so a crash costs at most one batch its email (those claimed and
not yet sent) and never sends anyone the same campaign twice. We chose this over at-least-once
(resending whatever is not recorded as sent): a duplicate marketing email to someone is a worse
failure than a missed one, and mailbox providers count duplicates against the sender. A mail
server that stops answering mid-batch fails only the message in flight; the rest of the batch
goes back to PENDING and the send is retried (tasks.py, jobs.py).
"""

from __future__ import annotations

import logging
import smtplib
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Count, F, Value
from django.utils import timezone

from tutela.audit.api import Actor, access_record_many
from tutela.campaigns.models import Campaign, Delivery
from tutela.campaigns.selectors import audience_exclusions, campaign_audience
from tutela.consent.api import (
    NEWSLETTER_PURPOSE,
    Recipient,
    Subscriber,
    consent_state,
    newsletter_message,
    newsletter_recipient,
    subscriber_address,
)
from tutela.crypto.api import data_keys_prefetch
from tutela.policy.api import processing_blocked

logger = logging.getLogger(__name__)

# What a send reads about each recipient: their address, nothing else (R7).
READ_CATEGORIES = ("contact_email",)


def sender_actor(campaign: Campaign) -> Actor:
    """The system job that sends a campaign, as the access log names it to the recipients."""
    return Actor.system(f"newsletter campaign #{campaign.pk}")


@dataclass
class BatchResult:
    """What one batch did."""

    sent: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    released: int = 0  # given back to PENDING, unsent, because the mail server stopped


@dataclass
class RunResult:
    """What one run of the sender did, and whether the campaign needs another."""

    batches: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    finished: bool = False
    more: bool = False


class MailServerUnavailable(Exception):
    """The mail server stopped answering; the unsent part of the batch waits for a retry."""


def campaign_audience_freeze(campaign_id: int) -> bool:
    """Compute the audience now and write a PENDING Delivery per member; True if it did.

    Runs once per campaign (under a lock on the campaign row; a repeat finds `audience_at`
    set and does nothing). One INSERT ... SELECT: no subscriber passes through Python.
    """
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        if campaign.status != Campaign.Status.SENDING or campaign.audience_at is not None:
            return False
        rows = campaign_audience().annotate(
            _campaign=Value(campaign.pk),
            _status=Value(Delivery.Status.PENDING.value),
            _reason=Value(""),
        )
        # In subject order: the subject index then grows at one end instead of at random
        # pages, which makes a million-row insert several times faster on PostgreSQL.
        select, params = (
            rows.values_list("_campaign", "pk", "subject_id", "_status", "_reason")
            .order_by("subject_id")
            .query.sql_with_params()
        )
        quote = db_connection.ops.quote_name
        columns = ", ".join(
            quote(name)
            for name in ("campaign_id", "subscriber_id", "subject_id", "status", "reason")
        )
        with db_connection.cursor() as cursor:
            # Identifiers from our own model; values as parameters of the compiled query.
            cursor.execute(
                f"INSERT INTO {quote(Delivery._meta.db_table)} ({columns}) {select}",
                params,
            )
            count = cursor.rowcount
        now = timezone.now()
        campaign.audience_count = count
        campaign.excluded = audience_exclusions()
        campaign.audience_at = campaign.progress_at = now
        campaign.save(update_fields=["audience_count", "excluded", "audience_at", "progress_at"])
    logger.info("campaign #%s: audience of %d computed", campaign_id, count)
    return True


def _mark_interrupted(campaign_id: int) -> int:
    """Fail (never resend) rows claimed by a sender that stopped before recording them."""
    stale = timezone.now() - timedelta(minutes=settings.TUTELA_CAMPAIGN_STALL_MINUTES)
    with transaction.atomic():
        count = Delivery.objects.filter(
            campaign_id=campaign_id, status=Delivery.Status.CLAIMED, claimed_at__lt=stale
        ).update(status=Delivery.Status.FAILED, reason="interrupted", done_at=timezone.now())
        if count:
            Campaign.objects.filter(pk=campaign_id).update(failed_count=F("failed_count") + count)
            logger.warning("campaign #%s: %d recipient(s) interrupted, not resent", campaign_id,
                           count)  # fmt: skip
    return count


def _skip_reason(subscriber: Subscriber) -> str:
    """Why newsletter_recipient turned someone down (asked again only for those it did)."""
    if not consent_state(subscriber.subject_id, NEWSLETTER_PURPOSE).given:
        return "withdrawn"
    if not subscriber_address(subscriber):
        return "no_address"  # erased, or an account without a usable address
    return "suppressed"


def _claim(
    campaign_id: int, size: int
) -> tuple[Campaign, list[tuple[int, Recipient]], Counter[str]] | None:
    """Step a: claim a batch, check each recipient again now, log the addresses read."""
    with transaction.atomic():
        # The campaign row's lock serialises claims: two senders never take the same rows.
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        if campaign.status != Campaign.Status.SENDING:
            return None
        rows = list(
            Delivery.objects.filter(campaign_id=campaign_id, status=Delivery.Status.PENDING)
            .order_by("id")
            .values_list("id", "subscriber_id", "subject_id")[:size]
        )
        if not rows:
            return None
        now = timezone.now()
        ids = [row[0] for row in rows]
        Delivery.objects.filter(id__in=ids).update(status=Delivery.Status.CLAIMED, claimed_at=now)
        subscribers = {
            s.pk: s
            for s in Subscriber.objects.filter(pk__in=[row[1] for row in rows]).select_related(
                "customer__user"
            )
        }
        data_keys_prefetch(
            [*subscribers.values(), *(s.customer.user for s in subscribers.values() if s.customer)]
        )
        blocked: dict[uuid.UUID, str] = {}
        for name, exists in processing_blocked(NEWSLETTER_PURPOSE, outer="subject_id"):
            for subject in (
                Delivery.objects.filter(id__in=ids)
                .filter(exists)
                .values_list("subject_id", flat=True)
            ):
                blocked.setdefault(subject, name)
        skipped: dict[str, list[int]] = {}
        read: list[uuid.UUID] = []
        ready: list[tuple[int, Recipient]] = []
        for row_id, subscriber_id, subject in rows:
            subscriber = subscribers.get(subscriber_id)
            if subscriber is None:  # unsubscribed visitor deleted, or erased, since the start
                skipped.setdefault("gone", []).append(row_id)
                continue
            if subject in blocked:
                skipped.setdefault(blocked[subject], []).append(row_id)
                continue
            read.append(subject)
            recipient = newsletter_recipient(subscriber)
            if recipient is None:
                skipped.setdefault(_skip_reason(subscriber), []).append(row_id)
            else:
                ready.append((row_id, recipient))
        for reason, row_ids in skipped.items():
            Delivery.objects.filter(id__in=row_ids).update(
                status=Delivery.Status.SKIPPED, reason=reason, done_at=now
            )
        if read:
            access_record_many(
                actor=sender_actor(campaign),
                subjects=read,
                categories=READ_CATEGORIES,
                purpose=NEWSLETTER_PURPOSE,
                action="read",
                detail=f"address read to send campaign #{campaign.pk} (sent by "
                f"{campaign.sent_by_label or 'staff'})"[:200],
            )
        counts = Counter({reason: len(row_ids) for reason, row_ids in skipped.items()})
        campaign.skipped_reasons = dict(Counter(campaign.skipped_reasons) + counts)
        campaign.skipped_count += counts.total()
        campaign.progress_at = now
        campaign.save(update_fields=["skipped_reasons", "skipped_count", "progress_at"])
    return campaign, ready, counts


def _send(
    campaign: Campaign, ready: list[tuple[int, Recipient]], connection: BaseEmailBackend
) -> tuple[list[int], dict[str, list[int]], list[int], Exception | None]:
    """Step b: send each message; returns sent ids, failed ids by reason, ids to give back."""
    sent: list[int] = []
    failed: dict[str, list[int]] = {}
    for position, (row_id, recipient) in enumerate(ready):
        message = newsletter_message(
            recipient,
            subject=campaign.subject,
            text=campaign.text_body,
            html=campaign.html_body or None,
            from_email=settings.TUTELA_CAMPAIGN_FROM_EMAIL,
            connection=connection,
        )
        try:
            message.send()
        except smtplib.SMTPRecipientsRefused:
            # This address only (unknown user, full mailbox): the server said no to it.
            failed.setdefault("recipient_refused", []).append(row_id)
        except Exception as exc:  # the server or the connection: stop, the rest waits
            # The class name only: a server's message may quote the address.
            failed.setdefault(f"interrupted:{type(exc).__name__}"[:64], []).append(row_id)
            return sent, failed, [r for r, _ in ready[position + 1 :]], exc
        else:
            sent.append(row_id)
    return sent, failed, [], None


def _record(
    campaign_id: int, sent: list[int], failed: dict[str, list[int]], released: list[int]
) -> None:
    """Step c: each outcome, and the campaign's counts."""
    now = timezone.now()
    with transaction.atomic():
        Delivery.objects.filter(id__in=sent).update(status=Delivery.Status.SENT, done_at=now)
        for reason, row_ids in failed.items():
            Delivery.objects.filter(id__in=row_ids).update(
                status=Delivery.Status.FAILED, reason=reason, done_at=now
            )
        if released:
            Delivery.objects.filter(id__in=released).update(
                status=Delivery.Status.PENDING, claimed_at=None
            )
        Campaign.objects.filter(pk=campaign_id).update(
            sent_count=F("sent_count") + len(sent),
            failed_count=F("failed_count") + sum(len(ids) for ids in failed.values()),
            progress_at=now,
        )


def campaign_send_batch(
    campaign_id: int, *, size: int, connection: BaseEmailBackend
) -> BatchResult | None:
    """Send the next batch of a sending campaign; None when there is nothing (left) to send
    or the campaign is no longer sending (cancelled). Raises MailServerUnavailable after
    recording the batch when the mail server stopped answering."""
    claimed = _claim(campaign_id, size)
    if claimed is None:
        return None
    campaign, ready, skipped = claimed
    sent, failed, released, error = _send(campaign, ready, connection)
    _record(campaign_id, sent, failed, released)
    result = BatchResult(
        sent=len(sent),
        skipped=skipped,
        failed=Counter({reason: len(ids) for reason, ids in failed.items()}),
        released=len(released),
    )
    if error is not None:
        raise MailServerUnavailable(
            f"campaign #{campaign_id}: the mail server failed ({type(error).__name__}); "
            f"{len(released)} recipient(s) wait for the next try"
        ) from error
    return result


def _finish(campaign_id: int) -> bool:
    """Mark the campaign sent once no recipient is waiting or in flight, with counts recounted
    from the delivery records (the truth, should a crash have left a counter behind)."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        if campaign.status != Campaign.Status.SENDING or campaign.audience_at is None:
            return False
        open_rows = Delivery.objects.filter(
            campaign_id=campaign_id,
            status__in=[Delivery.Status.PENDING, Delivery.Status.CLAIMED],
        )
        if open_rows.exists():
            return False
        counts: dict[str, Any] = Counter()
        reasons: Counter[str] = Counter()
        for status, reason, n in (
            Delivery.objects.filter(campaign_id=campaign_id)
            .order_by()
            .values_list("status", "reason")
            .annotate(n=Count("id"))
        ):
            counts[status] += n
            if status == Delivery.Status.SKIPPED:
                reasons[reason] += n
        campaign.sent_count = counts[Delivery.Status.SENT]
        campaign.skipped_count = counts[Delivery.Status.SKIPPED]
        campaign.failed_count = counts[Delivery.Status.FAILED]
        campaign.skipped_reasons = dict(reasons)
        campaign.status = Campaign.Status.SENT
        campaign.sent_at = campaign.progress_at = timezone.now()
        campaign.save()
    logger.info("campaign #%s sent: %d sent, %d skipped, %d failed", campaign_id,
                campaign.sent_count, campaign.skipped_count, campaign.failed_count)  # fmt: skip
    return True


def campaign_send_run(campaign_id: int, *, seconds: float = 60.0) -> RunResult:
    """Freeze the audience if not done yet, then send batches for about `seconds`; the caller
    runs it again while `more` is true. Idempotent and resumable: a run after a crash, or a
    second run at the same time, sends nobody twice.

    Side effects: Delivery rows and their outcomes, the campaign's counts and status, one
    access-log batch per batch, and the emails. Raises MailServerUnavailable (after recording
    what was done) when the mail server cannot be reached or stops answering.
    """
    result = RunResult()
    campaign_audience_freeze(campaign_id)
    _mark_interrupted(campaign_id)
    size = settings.TUTELA_CAMPAIGN_BATCH_SIZE
    started = time.monotonic()
    while True:
        try:
            # One connection per batch: opened before anything is claimed, so an unreachable
            # server claims (and so costs) no one; closed after, so no connection idles out.
            with get_connection(fail_silently=False) as connection:
                batch = campaign_send_batch(campaign_id, size=size, connection=connection)
        except (smtplib.SMTPException, OSError) as exc:
            raise MailServerUnavailable(
                f"campaign #{campaign_id}: cannot reach the mail server ({type(exc).__name__})"
            ) from exc
        if batch is None:
            break
        result.batches += 1
        result.sent += batch.sent
        result.skipped += sum(batch.skipped.values())
        result.failed += sum(batch.failed.values())
        if time.monotonic() - started >= seconds:
            result.more = True
            return result
    result.finished = _finish(campaign_id)
    return result
