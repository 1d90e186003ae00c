"""Reads for campaigns: the audience, computed in one set-based query at send time (R25), the
campaigns themselves and a preview. Nothing here returns anyone's address or name."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.http import Http404

from tutela.campaigns.models import Campaign, Delivery
from tutela.consent.api import (
    NEWSLETTER_PURPOSE,
    Recipient,
    Subscriber,
    SuppressedAddress,
    consented_subjects,
    newsletter_message,
)
from tutela.policy.api import processing_blocked

SUPPRESSED = "suppressed"
# What the reason codes of skipped and failed deliveries mean, for the campaign page; a
# processing blocker's own name (objection, restriction) is shown as it is.
REASONS = {
    SUPPRESSED: "on the do-not-email list",
    "withdrawn": "consent withdrawn since",
    "no_address": "no address to send to",
    "gone": "no longer a subscriber",
    "recipient_refused": "refused by the mail server",
    "interrupted": "interrupted (not resent)",
}
# The address a preview is shown for: reserved (RFC 2606), so it can never reach anyone.
PREVIEW_ADDRESS = "subscriber@example.invalid"
PREVIEW_SUBSCRIBER = uuid.UUID(int=0)


def _suppressed_subject() -> Exists:
    # Suppression entries linked to a subject; unlinked ones (an address only) are caught by
    # newsletter_recipient when the address is read at the moment of sending.
    return Exists(SuppressedAddress.objects.filter(subject_id=OuterRef("subject_id")))


def campaign_audience(purpose: str = NEWSLETTER_PURPOSE) -> QuerySet[Subscriber]:
    """Subscribers a campaign may go to now, as one unevaluated query: consent to `purpose` in
    force (the latest ledger record gives it), not on the suppression list, and no processing
    blocker (objection, restriction: tutela.policy.blockers) naming them for the purpose.

    Every condition is a subquery of the one statement (semi- and anti-joins), so it costs the
    same whether a thousand or a million people match (bench/campaign_bench.py).
    """
    audience = Subscriber.objects.filter(subject_id__in=consented_subjects(purpose)).filter(
        ~_suppressed_subject()
    )
    for _, blocked in processing_blocked(purpose, outer="subject_id"):
        audience = audience.filter(~blocked)
    return audience.order_by()


def audience_exclusions(purpose: str = NEWSLETTER_PURPOSE) -> dict[str, int]:
    """{reason: count} of consented subscribers each exclusion leaves out (someone left out for
    two reasons counts under both). One COUNT per reason, each a semi-join: a filtered
    aggregate over all reasons at once would run every EXISTS once per subscriber instead."""
    reasons: list[tuple[str, Exists]] = [(SUPPRESSED, _suppressed_subject())]
    reasons += processing_blocked(purpose, outer="subject_id")
    consented = Subscriber.objects.filter(subject_id__in=consented_subjects(purpose))
    counts = {name: consented.filter(condition).count() for name, condition in reasons}
    return {name: count for name, count in counts.items() if count}


def reasons_shown(counts: dict[str, int]) -> list[tuple[str, int]]:
    """{reason code: count} as (what it means, count), largest first."""
    return [
        (REASONS.get(code, REASONS.get(code.partition(":")[0], code)), count)
        for code, count in sorted(counts.items(), key=lambda item: -item[1])
    ]


def campaigns_list(*, limit: int = 100) -> list[Campaign]:
    """The latest campaigns, newest first."""
    return list(Campaign.objects.all()[:limit])


def campaign_get(campaign_id: int) -> Campaign:
    """One campaign; 404 if unknown."""
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        raise Http404("No such campaign.")
    return campaign


def campaign_failures(campaign: Campaign) -> dict[str, int]:
    """{reason: count} of the deliveries that failed (a short code each, never an address)."""
    rows = (
        Delivery.objects.filter(campaign=campaign, status=Delivery.Status.FAILED)
        .order_by()
        .values_list("reason")
        .annotate(n=Count("id"))
    )
    return {reason or "unknown": n for reason, n in rows}


def campaign_not_sent(campaign: Campaign) -> int:
    """Audience members still waiting (a cancelled campaign leaves them waiting, unsent)."""
    return Delivery.objects.filter(campaign=campaign, status=Delivery.Status.PENDING).count()


def campaign_preview(campaign: Campaign) -> EmailMultiAlternatives:
    """The message as a recipient receives it, built for a reserved address that reaches no one
    (same footer, unsubscribe link and headers as a real send)."""
    return newsletter_message(
        Recipient(
            subscriber_id=PREVIEW_SUBSCRIBER, subject_id=PREVIEW_SUBSCRIBER, email=PREVIEW_ADDRESS
        ),
        subject=campaign.subject,
        text=campaign.text_body,
        html=campaign.html_body or None,
        from_email=settings.TUTELA_CAMPAIGN_FROM_EMAIL,
    )
