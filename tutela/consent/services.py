"""Writes for consent and the newsletter. Each refuses bad input with a ValidationError keyed by
field and then stores nothing; each write by staff, a job or the API is access-logged in the
same transaction (R7). A person acting on their own choices is not logged (as elsewhere)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest
from django.utils import timezone

from tutela.audit.api import Actor, ActorKind, access_record, access_record_many
from tutela.consent.cookies import ADVERTISING, choosable_groups, cookie_notice
from tutela.consent.emails import confirmation_send_on_commit
from tutela.consent.models import (
    Channel,
    ConsentRecord,
    CookieChoice,
    Subscriber,
    SuppressedAddress,
)
from tutela.consent.notices import (
    NEWSLETTER_CONSENT,
    NEWSLETTER_PHONE_WITHDRAWAL,
    NEWSLETTER_PURPOSE,
    NEWSLETTER_WITHDRAWAL,
    Notice,
    policy_version,
)
from tutela.consent.selectors import (
    consent_state,
    is_suppressed,
    subscriber_address,
    subscriber_for_customer,
    subscriber_for_email,
    suppression_hash,
)
from tutela.consent.tokens import confirm_token_open, pending_tag
from tutela.customers.api import Customer, customer_for_email, validate_plain_text
from tutela.policy.api import LawfulBasis, current_policy
from tutela.policy.api import purpose as policy_purpose

CATEGORIES = ("privacy_choices",)
# One confirmation email per address in this interval: a form posted in a loop cannot flood
# someone's inbox with links (the page says the same either way).
RESEND_INTERVAL = timedelta(minutes=2)
EVIDENCE_MAX = 300
_SHA256 = re.compile(r"[0-9a-f]{64}")
_email_validator = EmailValidator("Enter a valid email address, for example name@example.com.")


def _event_by(actor: Actor) -> str:
    # The person themselves, or who recorded it for them (a label that outlives the account).
    return "data subject" if actor.kind == ActorKind.CUSTOMER else actor.label


def consent_record(
    *,
    subject: uuid.UUID,
    purpose: str,
    event_type: str,
    channel: str,
    notice_version: str,
    notice_sha256: str,
    evidence: str,
    actor: Actor,
    request: HttpRequest | None = None,
) -> ConsentRecord:
    """Append one consent given or withdrawn to the ledger; the only writer of ConsentRecord.

    Refuses (ValidationError by field, nothing stored) a purpose the policy file does not
    declare or does not base on consent, an unknown event type or channel, a malformed text
    hash, and evidence that is empty, too long or not plain text.
    """
    errors: dict[str, str] = {}
    try:
        declared = policy_purpose(purpose)
    except LookupError:
        errors["purpose"] = f"{purpose!r} is not a purpose of the privacy policy."
    else:
        if declared.lawful_basis is not LawfulBasis.consent:
            errors["purpose"] = f"{purpose!r} does not rest on consent in the privacy policy."
    if event_type not in ConsentRecord.EventType.values:
        errors["event_type"] = f"{event_type!r} is neither consent_given nor consent_withdrawn."
    if channel not in Channel.values:
        errors["collection_method"] = f"{channel!r} is not one of {', '.join(Channel.values)}."
    if not _SHA256.fullmatch(notice_sha256):
        errors["notice_sha256"] = "Give the SHA-256 of the text shown, as 64 hex digits."
    if not notice_version:
        errors["notice_version"] = "Give the policy version in force."
    evidence = evidence.strip()
    try:
        validate_plain_text(evidence)
        if not evidence or len(evidence) > EVIDENCE_MAX:
            raise ValidationError(f"Say what proves it, in at most {EVIDENCE_MAX} characters.")
    except ValidationError as exc:
        errors["evidence"] = exc.messages[0]
    if errors:
        raise ValidationError(errors)
    record = ConsentRecord(
        pii_principal_id=subject,
        purpose=purpose,
        event_type=event_type,
        collection_method=channel,
        notice_version=notice_version,
        notice_sha256=notice_sha256,
        event_by=_event_by(actor),
        evidence=evidence,
    )
    with transaction.atomic():
        record.save()
        if actor.kind != ActorKind.CUSTOMER:  # R7 logs staff, jobs and the API
            access_record(
                actor=actor,
                subject=subject,
                categories=CATEGORIES,
                purpose=purpose,
                action="create",
                request=request,
                detail=f"{event_type} ({channel})",
            )
    return record


# --- Newsletter: double opt-in ------------------------------------------------------------------


class OptIn(StrEnum):
    """What asking for the newsletter led to (a visitor is shown the same page for each)."""

    SENT = "sent"  # a confirmation link is on its way (or was, within RESEND_INTERVAL)
    ALREADY_SUBSCRIBED = "already_subscribed"
    SUPPRESSED = "suppressed"  # on the suppression list: never subscribed again, no email


class Confirmation(StrEnum):
    """What following a double opt-in link led to."""

    CONFIRMED = "confirmed"
    ALREADY_CONFIRMED = "already_confirmed"
    INVALID = "invalid"  # forged, expired, used, replaced by a newer link, or suppressed since


_PENDING_FIELDS = [
    "pending_since",
    "pending_channel",
    "pending_notice_version",
    "pending_notice_sha256",
]


def _clean_email(email: str) -> str:
    email = email.strip()
    if not email:
        raise ValidationError({"email": "Enter your email address."})
    if len(email) > 254:
        raise ValidationError({"email": f"At most 254 characters (you gave {len(email)})."})
    try:
        _email_validator(email)
    except ValidationError as exc:
        raise ValidationError({"email": exc.messages}) from None
    return email


def _subscriber_locked(*, customer: Customer | None, email: str) -> Subscriber:
    """The subscriber row for a customer or a visitor's address, created if new, locked."""
    rows = Subscriber.objects.select_for_update()
    found = (
        rows.filter(customer=customer).first()
        if customer is not None
        else rows.filter(email=email).first()
    )
    if found is not None:
        return found
    if customer is not None:
        new = Subscriber(customer=customer, subject_id=customer.subject_id)
    else:
        new = Subscriber(subject_id=uuid.uuid4(), email=email)
    try:
        with transaction.atomic():  # a savepoint: a concurrent twin loses without harm
            new.save(force_insert=True)
    except IntegrityError:
        if customer is not None:
            return rows.get(customer=customer)
        return rows.get(email=email)
    return new


def newsletter_subscribe_request(
    *,
    agreed: bool,
    channel: str,
    actor: Actor,
    customer: Customer | None = None,
    email: str = "",
) -> OptIn:
    """Ask for the newsletter: email a double opt-in link; nothing is consent until it is
    followed (R22). A customer's request uses their sign-in address; a visitor's, the address
    typed (encrypted, found by blind index). A visitor typing a customer's address joins that
    customer's subscription, so one person is one subscriber.

    Refuses (ValidationError, nothing stored) an unticked box or a bad address. A suppressed
    address is never subscribed again and gets no email; an address already subscribed gets
    no new link.
    """
    if channel not in (Channel.WEB_FORM, Channel.ACCOUNT_PAGE, Channel.API):
        raise ValueError(f"channel {channel!r} cannot start a double opt-in")
    errors: dict[str, list[str]] = {}
    if customer is None:
        try:
            email = _clean_email(email)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if not agreed:
        errors["agree"] = ["Tick the box if you want the newsletter: we never tick it for you."]
    if errors:
        raise ValidationError(errors)
    if customer is None:
        customer = customer_for_email(email)
    address = str(customer.user.email) if customer is not None else email
    if is_suppressed(address):
        return OptIn.SUPPRESSED
    now = timezone.now()
    with transaction.atomic():
        subscriber = _subscriber_locked(customer=customer, email=address)
        if consent_state(subscriber.subject_id, NEWSLETTER_PURPOSE).given:
            return OptIn.ALREADY_SUBSCRIBED
        pending = subscriber.pending_since
        if pending is not None and now - pending < RESEND_INTERVAL:
            return OptIn.SENT
        subscriber.pending_since = now
        subscriber.pending_channel = channel
        subscriber.pending_notice_version = policy_version()
        subscriber.pending_notice_sha256 = NEWSLETTER_CONSENT.sha256
        subscriber.save(update_fields=_PENDING_FIELDS)
        confirmation_send_on_commit(to=address, subscriber_id=subscriber.pk, pending_since=now)
    return OptIn.SENT


def _clear_pending(subscriber: Subscriber) -> bool:
    """Forget an unconfirmed opt-in (its link stops working); True if there was one."""
    if subscriber.pending_since is None:
        return False
    subscriber.pending_since = None
    subscriber.pending_channel = ""
    subscriber.pending_notice_version = ""
    subscriber.pending_notice_sha256 = ""
    return True


def newsletter_confirm(
    *, token: str, actor: Actor, request: HttpRequest | None = None
) -> Confirmation:
    """Follow a double opt-in link: this, and only this, records the newsletter consent.

    The link works once, within tokens.CONFIRM_MAX_AGE, and only for the latest request; once
    confirmed, following it again changes nothing (ALREADY_CONFIRMED). The record keeps the
    channel the box was ticked on, the policy version and the hash of the text agreed to then.
    """
    opened = confirm_token_open(token)
    if opened is None:
        return Confirmation.INVALID
    subscriber_id, tag = opened
    with transaction.atomic():
        subscriber = (
            Subscriber.objects.select_for_update(of=("self",))
            .select_related("customer__user")
            .filter(pk=subscriber_id)
            .first()
        )
        if subscriber is None:
            return Confirmation.INVALID
        pending = subscriber.pending_since
        if pending is None or pending_tag(pending) != tag:
            given = consent_state(subscriber.subject_id, NEWSLETTER_PURPOSE).given
            return Confirmation.ALREADY_CONFIRMED if given else Confirmation.INVALID
        address = subscriber_address(subscriber)
        usable = bool(address) and not is_suppressed(address)
        if usable:
            consent_record(
                subject=subscriber.subject_id,
                purpose=NEWSLETTER_PURPOSE,
                event_type=ConsentRecord.EventType.GIVEN,
                channel=subscriber.pending_channel,
                notice_version=subscriber.pending_notice_version,
                notice_sha256=subscriber.pending_notice_sha256,
                evidence=(
                    f"Double opt-in: box ticked at {pending:%Y-%m-%d %H:%M:%S} UTC, confirmed "
                    "with the link emailed to the address."
                ),
                actor=actor,
                request=request,
            )
        _clear_pending(subscriber)
        subscriber.save(update_fields=_PENDING_FIELDS)
    return Confirmation.CONFIRMED if usable else Confirmation.INVALID


# --- Newsletter: the ways out -------------------------------------------------------------------


def newsletter_unsubscribe(
    *,
    subscriber: Subscriber,
    channel: str,
    evidence: str,
    actor: Actor,
    notice: Notice = NEWSLETTER_WITHDRAWAL,
    request: HttpRequest | None = None,
) -> bool:
    """Withdraw newsletter consent at once (R21); True if a withdrawal was recorded.

    Idempotent: unsubscribing someone not subscribed records nothing. Side effects: cancels an
    unconfirmed opt-in (its link stops working) and, for a visitor, deletes the address, which
    was kept only to send the newsletter (retention `marketing_contacts`).
    """
    with transaction.atomic():
        locked = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        withdrawn = consent_state(locked.subject_id, NEWSLETTER_PURPOSE).given
        if withdrawn:
            consent_record(
                subject=locked.subject_id,
                purpose=NEWSLETTER_PURPOSE,
                event_type=ConsentRecord.EventType.WITHDRAWN,
                channel=channel,
                notice_version=policy_version(),
                notice_sha256=notice.sha256,
                evidence=evidence,
                actor=actor,
                request=request,
            )
        changed = _clear_pending(locked)
        if locked.is_visitor and locked.email is not None:
            locked.email = None
            changed = True
        if changed:
            locked.save(update_fields=[*_PENDING_FIELDS, "email", "email_bidx"])
    return withdrawn


def newsletter_unsubscribe_customer(*, customer: Customer, actor: Actor) -> bool:
    """The account page's one-click unsubscribe; True if a withdrawal was recorded."""
    subscriber = subscriber_for_customer(customer)
    if subscriber is None:
        return False
    return newsletter_unsubscribe(
        subscriber=subscriber,
        channel=Channel.ACCOUNT_PAGE,
        evidence="Unsubscribe button in the personal account (Mail Subscriptions).",
        actor=actor,
    )


@dataclass(frozen=True)
class PhoneUnsubscribe:
    """What a phone request changed."""

    found: bool  # the address belongs to a customer or a subscriber
    withdrawn: bool  # a withdrawal was recorded
    suppressed: bool  # the address was newly added to the suppression list


def newsletter_unsubscribe_by_phone(
    *, email: str, suppress: bool, actor: Actor, request: HttpRequest | None = None
) -> PhoneUnsubscribe:
    """Staff record a caller's unsubscribe (the policy's third way out), with the staff member
    as evidence; optionally the caller asks never to be emailed at the address again."""
    email = _clean_email(email)
    customer, subscriber = subscriber_for_email(email)
    subject = customer.subject_id if customer is not None else None
    if subscriber is not None:
        subject = subscriber.subject_id
    with transaction.atomic():
        withdrawn = subscriber is not None and newsletter_unsubscribe(
            subscriber=subscriber,
            channel=Channel.STAFF_PHONE,
            notice=NEWSLETTER_PHONE_WITHDRAWAL,
            evidence=f"Phone request taken by {actor.label}.",
            actor=actor,
            request=request,
        )
        added = suppress and email_suppress(
            email,
            SuppressedAddress.Reason.REQUEST,
            actor=actor,
            subject_id=subject,
            request=request,
        )
    return PhoneUnsubscribe(found=subject is not None, withdrawn=withdrawn, suppressed=added)


# --- Suppression list ---------------------------------------------------------------------------


def email_suppress(
    email: str,
    reason: str,
    *,
    actor: Actor | None = None,
    subject_id: uuid.UUID | None = None,
    request: HttpRequest | None = None,
) -> bool:
    """Put an address on the suppression list, keyed by a one-way keyed hash; True if new.

    From then on no path subscribes it again and no send reaches it (checked at send time).
    Idempotent: an address already listed keeps its first reason. Erasure (issue 5) calls this
    before it shreds the person's keys, so the address stays suppressed without being kept.
    """
    if reason not in SuppressedAddress.Reason.values:
        raise ValidationError(
            {"reason": f"{reason!r} is not one of {', '.join(SuppressedAddress.Reason.values)}."}
        )
    if not email or not email.strip():
        raise ValidationError({"email": "Give the address to suppress."})
    actor = actor or Actor.system("email_suppress")
    with transaction.atomic():
        _, created = SuppressedAddress.objects.get_or_create(
            email_hash=suppression_hash(email),
            defaults={"reason": reason, "subject_id": subject_id, "created_by": actor.label},
        )
        if created and subject_id is not None and actor.kind != ActorKind.CUSTOMER:
            access_record(
                actor=actor,
                subject=subject_id,
                categories=CATEGORIES,
                purpose=NEWSLETTER_PURPOSE,
                action="create",
                request=request,
                detail=f"address added to the suppression list ({reason})",
            )
    return created


# --- Cookie choices -----------------------------------------------------------------------------


def cookie_choice_record(
    *,
    visitor_id: uuid.UUID | None,
    method: str,
    allowed: Iterable[str],
    gpc: bool,
    actor: Actor,
    customer: Customer | None = None,
    request: HttpRequest | None = None,
) -> CookieChoice:
    """Record a cookie choice (R28): one append-only row under the cookie notice in force and,
    for a signed-in customer, a ledger event for each consent purpose whose state it changes.

    accept_all allows every group the policy lets a visitor choose, reject_all none, choose the
    groups named in `allowed`. Global Privacy Control refuses advertising whatever was pressed
    (R29). A visitor without a choice cookie gets a new random id. Refuses (ValidationError by
    field, nothing stored) an unknown method and a group the policy does not let one choose.
    """
    choosable = choosable_groups()
    allowed = list(allowed)
    errors: dict[str, str] = {}
    if method not in CookieChoice.Method.values:
        errors["action"] = "Press “Accept all”, “Reject all” or “Save my choices”."
    unknown = [group for group in allowed if group not in choosable]
    if unknown:
        errors["allow"] = (
            f"{unknown[0]!r} is not a cookie group you can choose; the groups are "
            f"{', '.join(choosable)}."
        )
    if errors:
        raise ValidationError(errors)
    if method == CookieChoice.Method.ACCEPT_ALL:
        groups = set(choosable)
    elif method == CookieChoice.Method.REJECT_ALL:
        groups = set()
    else:
        groups = set(allowed)
    if gpc:
        groups.discard(ADVERTISING)
    notice = cookie_notice()
    choice = CookieChoice(
        visitor_id=visitor_id or uuid.uuid4(),
        method=method,
        preferences="preferences" in groups,
        analytics="analytics" in groups,
        advertising=ADVERTISING in groups,
        gpc=gpc,
        notice_version=notice.version,
        notice_sha256=notice.sha256,
    )
    with transaction.atomic():
        choice.save()
        if customer is not None:
            _cookie_choice_to_ledger(customer.subject_id, choice, actor=actor, request=request)
    return choice


def _cookie_choice_to_ledger(
    subject: uuid.UUID, choice: CookieChoice, *, actor: Actor, request: HttpRequest | None
) -> None:
    """Give or withdraw each consent purpose of the cookie groups, where the state changes.

    A purpose already given is given again when the notice changed (consent to the new text);
    refusing what was never given records nothing: the state is already "not given", and the
    cookie choice row is the record of the refusal.
    """
    policy = current_policy()
    wanted: dict[str, bool] = {}
    for group in policy.cookies:
        for key in group.purposes:
            if policy.purpose(key).lawful_basis is LawfulBasis.consent:
                wanted[key] = wanted.get(key, False) or str(group.category) in (
                    choice.allowed_groups
                )
    allowed = ", ".join(sorted(choice.allowed_groups)) or "none"
    evidence = (
        f"Cookie banner, {choice.get_method_display()}: allowed {allowed}"
        + ("; Global Privacy Control refused advertising" if choice.gpc else "")
        + f". Cookie choice {choice.record_id}."
    )
    for key, give in wanted.items():
        state = consent_state(subject, key)
        renew = state.record is not None and state.record.notice_sha256 != choice.notice_sha256
        if give and (not state.given or renew):
            event = ConsentRecord.EventType.GIVEN
        elif not give and state.given:
            event = ConsentRecord.EventType.WITHDRAWN
        else:
            continue
        consent_record(
            subject=subject,
            purpose=key,
            event_type=event,
            channel=Channel.WEB_FORM,
            notice_version=choice.notice_version,
            notice_sha256=choice.notice_sha256,
            evidence=evidence,
            actor=actor,
            request=request,
        )


# --- Retention ----------------------------------------------------------------------------------


def consent_records_expire(*, before: datetime, actor: Actor) -> int:
    """Delete the records of every subject and purpose whose consent was withdrawn before
    `before` and not given again; returns the number of rows deleted.

    The one deletion the ledger allows: retention rule `consent_records` keeps proof of consent
    for 6 years after withdrawal (the caller computes `before` from it). Side effects: one
    access-log "delete" per subject. Keeps every record of a consent still in force.
    """
    later = ConsentRecord.objects.filter(
        pii_principal_id=OuterRef("pii_principal_id"),
        purpose=OuterRef("purpose"),
        id__gt=OuterRef("id"),
    )
    ended = (
        ConsentRecord.objects.filter(
            event_type=ConsentRecord.EventType.WITHDRAWN, event_time__lt=before
        )
        .filter(~Exists(later))
        .values_list("pii_principal_id", "purpose")
    )
    pairs: list[tuple[uuid.UUID, str]] = list(ended)
    deleted = 0
    with transaction.atomic():
        for chunk in _chunks(pairs, 500):
            match = Q()
            for subject, purpose in chunk:
                match |= Q(pii_principal_id=subject, purpose=purpose)
            deleted += ConsentRecord.objects.filter(match)._expire()
        if pairs:
            access_record_many(
                actor=actor,
                subjects=list(dict.fromkeys(subject for subject, _ in pairs)),
                categories=CATEGORIES,
                purpose="legal_compliance",
                action="delete",
                detail="consent records past their retention",
            )
    return deleted


def _chunks(items: list[tuple[uuid.UUID, str]], size: int) -> Iterable[list[tuple[uuid.UUID, str]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
