"""Writes for campaigns: write, edit, send and cancel a campaign; import bounces and complaints.

Each refuses bad input with a ValidationError keyed by field and then stores nothing. The sending
itself (audience, batches, delivery records) is in sending.py, run by tasks.py.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import transaction
from django.utils import timezone

from tutela.audit.api import Actor
from tutela.campaigns.html import html_problems
from tutela.campaigns.models import Campaign
from tutela.campaigns.tasks import campaign_send_task
from tutela.consent.api import SuppressedAddress, email_suppress, subscriber_for_email


def _clean(campaign: Campaign, *, subject: str, text_body: str, html_body: str) -> None:
    """Set and validate the words of a campaign; ValidationError by field, nothing saved."""
    campaign.subject = " ".join(subject.split())  # one line: a header cannot hold a newline
    campaign.text_body = text_body.strip()
    campaign.html_body = html_body.strip()
    errors: dict[str, list[str]] = {}
    try:
        campaign.full_clean()
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if campaign.html_body and "html_body" not in errors:
        problems = html_problems(campaign.html_body)
        if problems:
            errors["html_body"] = problems
    if errors:
        raise ValidationError(errors)


def _wrong_status(campaign: Campaign, what: str) -> ValidationError:
    status = campaign.get_status_display().lower()
    return ValidationError(f"This campaign is {status}; {what}.", code="wrong_status")


def campaign_create(*, subject: str, text_body: str, html_body: str = "", actor: Actor) -> Campaign:
    """Write a draft campaign. Refuses (ValidationError by field, nothing stored) an empty or
    over-long subject line or text version, markup or control characters in them, and HTML
    that is not formatting and links only (html.py)."""
    campaign = Campaign(created_by_label=actor.label)
    _clean(campaign, subject=subject, text_body=text_body, html_body=html_body)
    with transaction.atomic():
        campaign.save()
    return campaign


def campaign_update(
    *, campaign: Campaign, subject: str, text_body: str, html_body: str = "", actor: Actor
) -> Campaign:
    """Change a draft's words; refused once it is being sent, as campaign_create refuses."""
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if not locked.is_draft:
            raise _wrong_status(locked, "only a draft can be changed")
        _clean(locked, subject=subject, text_body=text_body, html_body=html_body)
        locked.updated_at = timezone.now()
        locked.save()
    return locked


def campaign_send_start(*, campaign: Campaign, actor: Actor) -> Campaign:
    """Send a draft: mark it sending and queue the send once this transaction commits.

    The audience is not computed here but by the task, when it starts (sending.py): "at send
    time", and without holding the request up over a large list. Refuses anything not a draft.
    """
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if not locked.is_draft:
            raise _wrong_status(locked, "only a draft can be sent")
        locked.status = Campaign.Status.SENDING
        locked.sent_by_label = actor.label
        locked.send_requested_at = timezone.now()
        locked.save(update_fields=["status", "sent_by_label", "send_requested_at"])
        # After commit: the task must find the campaign sending, whichever backend runs it. If
        # the process dies in between, campaigns_resume (jobs.py) enqueues it later.
        pk = locked.pk
        transaction.on_commit(lambda: campaign_send_task.enqueue(pk), robust=True)
    return locked


def campaign_cancel(*, campaign: Campaign, actor: Actor) -> Campaign:
    """Stop a draft or a send in progress: no further email goes out (the batch being sent
    finishes; those still waiting stay unsent). Refuses a campaign already sent or cancelled."""
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status not in (Campaign.Status.DRAFT, Campaign.Status.SENDING):
            raise _wrong_status(locked, "there is nothing to cancel")
        locked.status = Campaign.Status.CANCELLED
        locked.updated_at = timezone.now()
        locked.save(update_fields=["status", "updated_at"])
    return locked


# --- Bounces and complaints ---------------------------------------------------------------------

BOUNCE_KINDS = {
    "bounce": SuppressedAddress.Reason.BOUNCE,
    "complaint": SuppressedAddress.Reason.COMPLAINT,
}
BOUNCES_MAX_ROWS = 100_000
_email_validator = EmailValidator()


@dataclass(frozen=True)
class Bounce:
    """One line of a bounce file: an address and why it must not be mailed again."""

    line: int
    email: str
    reason: str


def bounces_parse(text: str) -> list[Bounce]:
    """Read a CSV of `email,kind` (kind: bounce or complaint; a header line is allowed).

    Refuses the whole file (ValidationError listing each bad line by number) if any line is
    bad, so a half-imported file never leaves anyone wondering which lines took effect.
    """
    errors: list[str] = []
    found: list[Bounce] = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not "".join(row).strip():
            continue
        if number == 1 and [cell.strip().lower() for cell in row] == ["email", "kind"]:
            continue
        if len(row) != 2:
            errors.append(f"Line {number}: expected 2 columns (email,kind), found {len(row)}.")
            continue
        email, kind = row[0].strip(), row[1].strip().lower()
        try:
            if "\x00" in email or len(email) > 254:
                raise ValidationError("bad")
            _email_validator(email)
        except ValidationError:
            errors.append(f"Line {number}: {email[:60]!r} is not an email address.")
            continue
        if kind not in BOUNCE_KINDS:
            errors.append(f"Line {number}: kind {kind[:20]!r} is not one of bounce, complaint.")
            continue
        found.append(Bounce(line=number, email=email, reason=BOUNCE_KINDS[kind]))
        if len(found) > BOUNCES_MAX_ROWS:
            raise ValidationError(f"More than {BOUNCES_MAX_ROWS} lines: split the file.")
    if errors:
        more = [f"... and {len(errors) - 20} more."] if len(errors) > 20 else []
        raise ValidationError(errors[:20] + more)
    return found


def bounces_suppress(bounces: Iterable[Bounce], *, actor: Actor) -> tuple[int, int]:
    """Put every bounced or complaining address on the suppression list, in one transaction;
    returns (newly suppressed, already listed). Each entry is linked to the subscriber or
    customer the address belongs to, when there is one, so it shows in their access export;
    email_suppress access-logs that link (R7)."""
    added = known = 0
    with transaction.atomic():
        for bounce in bounces:
            customer, subscriber = subscriber_for_email(bounce.email)
            subject = customer.subject_id if customer is not None else None
            if subscriber is not None:
                subject = subscriber.subject_id
            if email_suppress(bounce.email, bounce.reason, actor=actor, subject_id=subject):
                added += 1
            else:
                known += 1
    return added, known
