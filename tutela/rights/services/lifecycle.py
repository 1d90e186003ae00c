"""Writes for rights requests: opening, verifying, the clock and the answers. Each refuses bad
input with a ValidationError naming the field and then stores nothing; each change and its history
event are written in one transaction, with the access-log event when staff (or a job, or the API)
write a person's data (R7).

The request's status and clock move together (R11):

    awaiting verification (paused) --verify--> in progress (running)
    in progress --pause (clarification asked)--> waiting for clarification (paused) --resume-->
    in progress --decide: fee--> fee requested (paused) --resume (fee paid)--> in progress
    in progress --complete (or fulfil an access request)--> done (stopped)
    any open status --decide: refuse--> refused (stopped)
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from tutela.audit.api import Actor
from tutela.customers.api import Customer, customer_for_email
from tutela.policy.api import current_policy
from tutela.rights import emails
from tutela.rights.models import DataSubjectRequest
from tutela.rights.services.base import (
    FEE_MAX_PENCE,
    REPEAT_LIMIT,
    REPEAT_WINDOW,
    VERIFY_LINK_MAX_AGE,
    Event,
    Kind,
    Status,
    Verification,
    actor_label,
    clean_text,
    clock_change,
    close_done,
    due_text,
    locked_copy,
    log_write,
    need_status,
    period_days_for,
    record_event,
)

# --- opening and verifying --------------------------------------------------------------------


def _check_opening(
    *,
    kind: str,
    channel: str,
    customer: Customer | None,
    requester_name: str,
    requester_email: str,
    received_at: datetime,
    verified_by: str | None,
    identity_note: str,
    now: datetime,
) -> None:
    errors: dict[str, str] = {}
    if kind not in Kind.values:
        errors["kind"] = "Choose one of the rights."
    if channel not in DataSubjectRequest.Channel.values:
        errors["channel"] = "Choose how the request arrived."
    if received_at > now:
        errors["received_at"] = "The time received cannot be in the future."
    if customer is None:
        if not requester_name.strip():
            errors["requester_name"] = "Enter the name of the person asking."
        needs_email = channel in {"account", "email", "api"}
        if needs_email and not requester_email.strip():
            errors["requester_email"] = "Enter the email address to answer to."
    if verified_by is not None and verified_by not in Verification.values:
        errors["identity_method"] = "Choose how the identity was verified."
    if verified_by == Verification.STAFF_CHECK and not identity_note.strip():
        errors["identity_note"] = "Say what was checked (never copy a document's number)."
    if errors:
        raise ValidationError(errors)


def _repeats(dsr: DataSubjectRequest) -> int:
    """Earlier requests of the same kind by the same person within the window.

    Only requests whose identity was verified count: anyone can type someone's address into
    the form, and that must not make the real person's next request look excessive.
    """
    match = Q(subject_id=dsr.subject_id)
    if dsr.requester_email:
        match |= Q(requester_email=dsr.requester_email)  # through its blind index
    return (
        DataSubjectRequest.objects.filter(
            kind=dsr.kind,
            received_at__gte=dsr.received_at - REPEAT_WINDOW,
            received_at__lte=dsr.received_at,
            identity_verified_at__isnull=False,
        )
        .filter(match)
        .count()
    )


def dsr_open(
    *,
    kind: str,
    channel: str,
    actor: Actor,
    customer: Customer | None = None,
    requester_name: str = "",
    requester_email: str = "",
    details: str = "",
    received_at: datetime | None = None,
    verified_by: str | None = None,
    identity_note: str = "",
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> DataSubjectRequest:
    """Record a request as received at `received_at` (default now), with its deadline from the
    policy file; verified at once when `verified_by` says how, else the clock waits (paused).

    A request without an account whose email is a customer's sign-in address is filed under that
    customer, so repeats are seen and the answer goes to the account. Refuses, storing nothing:
    an unknown kind or channel, a future receipt time, a missing name or email for a person
    without an account, text that is too long or not plain, and, from the account, a second open
    request of the same kind. Flags the request when it repeats (REPEAT_LIMIT in REPEAT_WINDOW).
    """
    now = now or timezone.now()
    received_at = received_at or now
    _check_opening(
        kind=kind,
        channel=channel,
        customer=customer,
        requester_name=requester_name,
        requester_email=requester_email,
        received_at=received_at,
        verified_by=verified_by,
        identity_note=identity_note,
        now=now,
    )
    requester_email = requester_email.strip()
    if customer is None and requester_email:
        customer = customer_for_email(requester_email)
    verified = verified_by is not None
    dsr = DataSubjectRequest(
        kind=kind,
        channel=channel,
        subject_id=customer.subject_id if customer is not None else uuid.uuid4(),
        customer=customer,
        requester_name=requester_name.strip(),
        requester_email=requester_email,
        details=details.strip(),
        received_at=received_at,
        period_days=period_days_for(kind),
        status=Status.IN_PROGRESS if verified else Status.AWAITING_VERIFICATION,
        # Unverified: the clock waits from receipt until the person proves who they are.
        paused_since=None if verified else received_at,
        identity_verified_at=now if verified else None,
        identity_method=verified_by or "",
        identity_note=identity_note.strip(),
        entered_by_label=actor_label(actor),
    )
    with transaction.atomic():
        # ValidationError keyed by field (lengths, plain text, the email address).
        dsr.full_clean(exclude=["customer"])
        if channel == DataSubjectRequest.Channel.ACCOUNT and customer is not None:
            earlier = (
                DataSubjectRequest.objects.filter(customer=customer, kind=kind)
                .exclude(status__in=DataSubjectRequest.CLOSED_STATUSES)
                .first()
            )
            if earlier is not None:
                raise ValidationError(
                    f"You already have an open request of this kind ({earlier.reference}, "
                    f"received {timezone.localtime(earlier.received_at):%d %B %Y}); we are "
                    "working on it.",
                    code="duplicate",
                )
        repeats = _repeats(dsr)
        dsr.possibly_excessive = repeats + 1 >= REPEAT_LIMIT
        dsr.save()
        record_event(
            dsr, Event.OPENED, actor, at=now, note=f"Received by {dsr.get_channel_display()}"
        )
        if dsr.possibly_excessive:
            record_event(
                dsr,
                Event.FLAGGED,
                actor,
                at=now,
                note=f"Request {repeats + 1} of this kind from this person within "
                f"{REPEAT_WINDOW.days} days.",
            )
        if verified:
            record_event(dsr, Event.VERIFIED, actor, at=now, note=dsr.get_identity_method_display())
        log_write(
            actor,
            dsr,
            "entered rights request",
            action="create",
            request=request,
            categories=("name", "contact_email", "correspondence"),
        )
    return dsr


def dsr_verification_send(
    *, dsr: DataSubjectRequest, actor: Actor, now: datetime | None = None
) -> DataSubjectRequest:
    """Email the person a signed link that proves they read the address they gave; following
    it verifies the request (R12). Only for a request awaiting verification, with an address."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = locked_copy(dsr)
        need_status(locked, Status.AWAITING_VERIFICATION, doing="send a verification link")
        if not locked.requester_email:
            raise ValidationError(
                "There is no email address to send a link to; record another identity check.",
                code="no_email",
            )
        record_event(locked, Event.VERIFICATION_SENT, actor, at=now)
        link = emails.absolute_url(
            reverse("rights:verify", kwargs={"token": emails.verify_token(locked)})
        )
        emails.tell_person(locked, "verify", link=link, valid_days=VERIFY_LINK_MAX_AGE.days)
    return locked


def dsr_verify(
    *,
    dsr: DataSubjectRequest,
    method: str,
    actor: Actor,
    note: str = "",
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> DataSubjectRequest:
    """Record that the person's identity is confirmed, and start (resume) the clock (R11, R12).

    `method` is how: a followed email link, a recent re-authentication, or a check staff made
    (which needs a `note` of what was checked: never a copy of a document, R12).
    """
    now = now or timezone.now()
    if method not in Verification.values:
        raise ValidationError({"method": "Choose how the identity was verified."})
    note = clean_text(
        note,
        "note",
        required="Say what was checked." if method == Verification.STAFF_CHECK else "",
        max_length=500,
    )
    with transaction.atomic():
        locked = locked_copy(dsr)
        if locked.is_verified:
            raise ValidationError("The identity is already verified.", code="already_verified")
        need_status(locked, Status.AWAITING_VERIFICATION, doing="verify the identity")
        locked.clock_store(clock_change(lambda: locked.clock.resumed(at=now), "method"))
        locked.status = Status.IN_PROGRESS
        locked.identity_verified_at = now
        locked.identity_method = method
        locked.identity_note = note
        locked.save()
        label = Verification(method).label
        record_event(locked, Event.VERIFIED, actor, at=now, note=f"{label}. {note}".strip())
        log_write(actor, locked, "recorded identity check", request=request)
    return locked


# --- the clock --------------------------------------------------------------------------------


def dsr_pause(
    *,
    dsr: DataSubjectRequest,
    question: str,
    actor: Actor,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> DataSubjectRequest:
    """Ask the person to clarify (the question is emailed); the clock waits until they answer."""
    now = now or timezone.now()
    question = clean_text(question, "question", required="Write what you need to know.")
    with transaction.atomic():
        locked = locked_copy(dsr)
        need_status(locked, Status.IN_PROGRESS, doing="ask for clarification")
        locked.clock_store(clock_change(lambda: locked.clock.paused(at=now), "question"))
        locked.status = Status.AWAITING_CLARIFICATION
        locked.save()
        record_event(locked, Event.PAUSED, actor, at=now, note=question)
        log_write(actor, locked, "asked for clarification on", request=request)
        emails.tell_person(locked, "clarification", question=question)
    return locked


def dsr_resume(
    *,
    dsr: DataSubjectRequest,
    note: str,
    actor: Actor,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> DataSubjectRequest:
    """The person answered (or paid the fee): the clock runs again from where it stopped."""
    now = now or timezone.now()
    note = clean_text(
        note, "note", required="Say what the person answered, or that the fee was paid."
    )
    with transaction.atomic():
        locked = locked_copy(dsr)
        need_status(
            locked,
            Status.AWAITING_CLARIFICATION,
            Status.FEE_REQUESTED,
            doing="resume the clock",
        )
        locked.clock_store(clock_change(lambda: locked.clock.resumed(at=now), "note"))
        locked.status = Status.IN_PROGRESS
        locked.save()
        record_event(locked, Event.RESUMED, actor, at=now, note=note)
        log_write(actor, locked, "resumed", request=request)
    return locked


def dsr_extend(
    *,
    dsr: DataSubjectRequest,
    months: int,
    reason: str,
    actor: Actor,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> DataSubjectRequest:
    """Extend the deadline by one or two further months (Art. 12(3)), with the reason recorded
    and emailed to the person; only within the first period, and two months in all at most."""
    now = now or timezone.now()
    reason = clean_text(reason, "reason", required="Give the reason: the person is told it.")
    if months not in (1, 2):
        raise ValidationError({"months": "Extend by 1 or 2 months."})
    with transaction.atomic():
        locked = locked_copy(dsr)
        need_status(
            locked,
            Status.IN_PROGRESS,
            Status.AWAITING_CLARIFICATION,
            doing="extend the deadline",
        )
        locked.clock_store(
            clock_change(lambda: locked.clock.extended(months=months, at=now), "months")
        )
        locked.save()
        due = due_text(locked, now)
        told = emails.tell_person(locked, "extended", reason=reason, months=months, due=due)
        how = (
            "emailed to the person"
            if told
            else "no email address: tell the person by phone or post"
        )
        record_event(
            locked,
            Event.EXTENDED,
            actor,
            at=now,
            note=f"By {months} month{'s' if months > 1 else ''}, now due {due} ({how}). {reason}",
        )
        log_write(actor, locked, "extended the deadline of", request=request)
    return locked


# --- answers ----------------------------------------------------------------------------------


def dsr_decide(
    *,
    dsr: DataSubjectRequest,
    manifestly: str,
    decision: str,
    reason: str,
    actor: Actor,
    fee_pence: int | None = None,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> DataSubjectRequest:
    """Mark a request manifestly unfounded or excessive and refuse it or ask a reasonable fee
    (Art. 12(5)); the reason is recorded and emailed with the right to complain to the ICO
    (Art. 12(4)). A refusal closes the request; a fee request pauses the clock until paid."""
    now = now or timezone.now()
    errors: dict[str, str] = {}
    if manifestly not in DataSubjectRequest.Manifestly.values:
        errors["manifestly"] = "Say whether the request is manifestly unfounded or excessive."
    if decision not in DataSubjectRequest.Decision.values:
        errors["decision"] = "Choose to refuse the request or to ask for a fee."
    if decision == DataSubjectRequest.Decision.FEE and not (
        fee_pence is not None and 0 < fee_pence <= FEE_MAX_PENCE
    ):
        errors["fee_pence"] = f"Give a fee between £0.01 and £{FEE_MAX_PENCE // 100:,}."
    if errors:
        raise ValidationError(errors)
    reason = clean_text(reason, "reason", required="Give the reason: the person is told it.")
    refuse = decision == DataSubjectRequest.Decision.REFUSE
    with transaction.atomic():
        locked = locked_copy(dsr)
        if refuse:
            still_open = [s for s in Status.values if s not in locked.CLOSED_STATUSES]
            need_status(locked, *still_open, doing="refuse")
            locked.clock_store(clock_change(lambda: locked.clock.stopped(at=now), "decision"))
            locked.status = Status.REFUSED
        else:
            need_status(locked, Status.IN_PROGRESS, doing="ask for a fee")
            locked.clock_store(clock_change(lambda: locked.clock.paused(at=now), "decision"))
            locked.status = Status.FEE_REQUESTED
        locked.manifestly = manifestly
        locked.decision = decision
        locked.decision_reason = reason
        locked.fee_pence = None if refuse else fee_pence
        locked.decided_at = now
        locked.save()
        what = locked.get_manifestly_display()
        outcome = "refused" if refuse else f"fee of £{(fee_pence or 0) / 100:,.2f} requested"
        record_event(locked, Event.DECIDED, actor, at=now, note=f"{what}: {outcome}. {reason}")
        log_write(actor, locked, "decided", request=request)
        emails.tell_person(
            locked,
            "decided",
            refused=refuse,
            manifestly=what.lower(),
            reason=reason,
            fee=f"£{(fee_pence or 0) / 100:,.2f}",
            regulator=current_policy().regulator,
        )
    return locked


def dsr_complete(
    *,
    dsr: DataSubjectRequest,
    outcome: str,
    actor: Actor,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> DataSubjectRequest:
    """Close a verified request as done, with what was done (emailed to the person)."""
    now = now or timezone.now()
    outcome = clean_text(outcome, "outcome", required="Say what was done: the person is told it.")
    with transaction.atomic():
        locked = locked_copy(dsr)
        need_status(locked, Status.IN_PROGRESS, doing="complete the request")
        close_done(locked, outcome, actor, now=now)
        log_write(actor, locked, "completed", request=request)
        emails.tell_person(locked, "completed", outcome=outcome)
    return locked
