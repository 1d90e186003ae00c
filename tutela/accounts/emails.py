"""The sign-in email address: proving it (verification) and changing it, done by Tutela itself.

allauth keeps its own plaintext copy of every address (its EmailAddress table) and runs
verification and email management through it. Tutela stores the address only encrypted, found
by its blind index (R6), so those two flows live here instead; allauth still does sign-in,
password reset and change, re-authentication and MFA, all of which reach the address through
`User.email`.

A link's token is Django's password-reset token construction over the account's state: it
stops working once used (the verified time or the pending address changes), when another
address is asked for, and after PASSWORD_RESET_TIMEOUT.
"""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import get_adapter
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from tutela.accounts.models import SecurityEvent, User
from tutela.accounts.services import security_event_record
from tutela.audit.api import Actor, access_record
from tutela.crypto.api import blind_index

# At most one automatic re-send of a verification link per account in this many seconds, so a
# script trying a password against an unverified account cannot flood its owner's inbox.
RESEND_INTERVAL_SECONDS = 180


class _EmailTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "tutela.accounts.emails.EmailTokenGenerator"

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        pending = blind_index("accounts.email", user.pending_email) if user.pending_email else ""
        verified = "" if user.email_verified_at is None else user.email_verified_at.isoformat()
        return f"{user.subject_id}|{user.email_bidx}|{verified}|{pending}|{timestamp}"


_tokens = _EmailTokenGenerator()


def _link(request: HttpRequest, name: str, user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(str(user.subject_id)))
    path = reverse(name, kwargs={"uidb64": uid, "token": _tokens.make_token(user)})
    return request.build_absolute_uri(path)


def user_for_link(uidb64: str, token: str) -> User | None:
    """The account a verification or change link was made for, if the link is still good."""
    try:
        subject_id = force_str(urlsafe_base64_decode(uidb64))
        user = User.objects.get(subject_id=subject_id)
    except (ValueError, TypeError, User.DoesNotExist, ValidationError):
        return None
    return user if _tokens.check_token(user, token) else None


def email_verification_send(*, request: HttpRequest, user: User, force: bool = False) -> bool:
    """Email the account's address a link that proves it can read it; False if sent recently.

    `force` is for sign-up, which always sends; a sign-in attempt re-sends at most once per
    RESEND_INTERVAL_SECONDS.
    """
    throttle = f"tutela:verify-resend:{user.subject_id}"
    if not cache.add(throttle, 1, RESEND_INTERVAL_SECONDS) and not force:
        return False
    get_adapter(request).send_mail(
        "accounts/email/verify",
        user.email,
        {"link": _link(request, "accounts:email_verify", user), "user": user},
    )
    return True


def email_verify(*, user: User, request: HttpRequest) -> None:
    """Mark the address proven (a POST from the emailed link), logged with the IP."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.email_verified_at is None:
            locked.email_verified_at = timezone.now()
            locked.save(update_fields=["email_verified_at"])
        security_event_record(kind=SecurityEvent.Kind.EMAIL_VERIFIED, request=request, user=locked)


def email_registration_taken_notify(*, request: HttpRequest, email: str) -> None:
    """Someone tried to register an address that has an account: tell its owner, not them.

    The person registering sees the same "check your inbox" page either way, so the form does
    not reveal who has an account here (R4, enumeration).
    """
    get_adapter(request).send_mail(
        "account/email/account_already_exists",
        email,
        {
            "request": request,
            "email": email,
            "signup_url": request.build_absolute_uri(reverse("account_signup")),
            "password_reset_url": request.build_absolute_uri(reverse("account_reset_password")),
        },
    )


def email_change_request(*, user: User, new_email: str, request: HttpRequest) -> None:
    """Keep `new_email` as pending and send it a confirmation link; the old address stays.

    An address that already belongs to another account gets a notice instead of a link, and
    the person asking sees the same result, so the form cannot be used to probe for accounts.
    """
    new_email = new_email.strip().lower()
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        taken = User.objects.filter(email=new_email).exclude(pk=locked.pk).exists()
        locked.pending_email = None if taken else new_email
        locked.save(update_fields=["pending_email"])
        access_record(
            actor=Actor.customer(id=locked.pk),
            subject=locked.subject_id,
            categories=["contact_email"],
            purpose="confirm_identity",
            action="change",
            request=request,
            detail="asked to change the sign-in email (pending confirmation)",
        )
    if taken:
        email_registration_taken_notify(request=request, email=new_email)
        return
    get_adapter(request).send_mail(
        "accounts/email/change_confirm",
        new_email,
        {"link": _link(request, "accounts:email_change_confirm", locked), "user": locked},
    )
    user.pending_email = locked.pending_email


def email_change_confirm(*, user: User, request: HttpRequest) -> bool:
    """Make the pending address the sign-in address; tell the old one. False if it was taken.

    Side effects: replaces the encrypted address and its blind index, marks it verified, clears
    the pending address, records a security event and an access-log "change", and emails the old
    address that it no longer signs in (so a hijacked session cannot change it silently).
    """
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        new_email = locked.pending_email
        if not new_email:
            return False
        if User.objects.filter(email=new_email).exclude(pk=locked.pk).exists():
            locked.pending_email = None
            locked.save(update_fields=["pending_email"])
            return False
        old_email = locked.email
        locked.email = new_email
        locked.pending_email = None
        locked.email_verified_at = timezone.now()
        locked.save(update_fields=["email", "email_bidx", "pending_email", "email_verified_at"])
        security_event_record(kind=SecurityEvent.Kind.EMAIL_CHANGED, request=request, user=locked)
        access_record(
            actor=Actor.customer(id=locked.pk),
            subject=locked.subject_id,
            categories=["contact_email"],
            purpose="confirm_identity",
            action="change",
            request=request,
            detail="changed the sign-in email",
        )
    get_adapter(request).send_mail("accounts/email/changed_notice", old_email, {"user": locked})
    return True
