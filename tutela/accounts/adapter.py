"""django-allauth adapter: where Tutela hooks the security log and the staff/customer split.

allauth offers these adapter methods as its extension points; using them (rather than signals)
keeps each side effect next to the step that causes it.
"""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.stagekit import clear_login
from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from tutela.accounts.emails import email_verification_send
from tutela.accounts.models import SecurityEvent, User
from tutela.accounts.services import security_event_record
from tutela.core.http import client_ip

STAFF_LOGIN_URL_NAME = "staff:login"


def _realm_of_request(request: HttpRequest) -> SecurityEvent.Realm:
    """Staff sign in on their own page; everything else is the customer portal."""
    if request.path == reverse(STAFF_LOGIN_URL_NAME):
        return SecurityEvent.Realm.STAFF
    return SecurityEvent.Realm.CUSTOMER


def _realm_of_user(user: AbstractBaseUser) -> SecurityEvent.Realm:
    return (
        SecurityEvent.Realm.STAFF
        if getattr(user, "is_staff", False)
        else SecurityEvent.Realm.CUSTOMER
    )


class AccountAdapter(DefaultAccountAdapter):
    """Records sign-in events with the IP (R2) and keeps staff and customers on their own doors."""

    def pre_login(
        self, request: HttpRequest, user: AbstractBaseUser, **kwargs: Any
    ) -> HttpResponse | None:
        """Refuse a staff account at the customer door and a customer account at the staff door."""
        response = super().pre_login(request, user, **kwargs)
        if response is not None:
            return response
        if _realm_of_request(request) == _realm_of_user(user):
            return self._unless_email_unverified(request, user, signup=bool(kwargs.get("signup")))
        clear_login(request)
        security_event_record(
            kind=SecurityEvent.Kind.SIGN_IN_REFUSED,
            request=request,
            user=user if isinstance(user, User) else None,
            realm=_realm_of_request(request),
        )
        if _realm_of_user(user) == SecurityEvent.Realm.STAFF:
            messages.error(request, "Staff accounts sign in on the staff sign-in page.")
            return redirect(STAFF_LOGIN_URL_NAME)
        messages.error(request, "This is the staff sign-in. Customers sign in here.")
        return redirect("account_login")

    def _unless_email_unverified(
        self, request: HttpRequest, user: AbstractBaseUser, *, signup: bool
    ) -> HttpResponse | None:
        """No sign-in before the address is proven (R4): (re-)send the link and say so."""
        if not isinstance(user, User) or user.email_verified:
            return None
        clear_login(request)
        email_verification_send(request=request, user=user, force=signup)
        return redirect("accounts:verification_sent")

    def login(self, request: HttpRequest, user: AbstractBaseUser) -> None:
        """Start the session, then log the sign-in with its IP."""
        super().login(request, user)
        security_event_record(
            kind=SecurityEvent.Kind.SIGN_IN,
            request=request,
            user=user if isinstance(user, User) else None,
            realm=_realm_of_user(user),
        )

    def logout(self, request: HttpRequest) -> None:
        """Log the sign-out while we still know who it is, then end the session."""
        user = request.user if isinstance(request.user, User) else None
        if user is not None:
            security_event_record(
                kind=SecurityEvent.Kind.SIGN_OUT,
                request=request,
                user=user,
                realm=_realm_of_user(user),
            )
        super().logout(request)

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        """A wrong password: logged with the IP; linked to the account when the email is known."""
        email = str(credentials.get("email") or "")
        user = User.objects.filter(email__iexact=email).first() if email else None
        security_event_record(
            kind=SecurityEvent.Kind.SIGN_IN_FAILED,
            request=request,
            user=user,
            realm=_realm_of_request(request),
        )

    def save_user(
        self, request: HttpRequest, user: AbstractBaseUser, form: BaseForm, commit: bool = True
    ) -> AbstractBaseUser:
        """Create the identity and log the sign-up with its IP."""
        saved = super().save_user(request, user, form, commit=commit)
        if commit and isinstance(saved, User):
            security_event_record(kind=SecurityEvent.Kind.SIGN_UP, request=request, user=saved)
        return saved

    def send_password_reset_mail(
        self, user: AbstractBaseUser, email: str, context: dict[str, Any]
    ) -> None:
        """Log the reset request with its IP before sending the link."""
        security_event_record(
            kind=SecurityEvent.Kind.PASSWORD_RESET_REQUESTED,
            request=self.request,
            user=user if isinstance(user, User) else None,
            realm=_realm_of_user(user),
        )
        super().send_password_reset_mail(user, email, context)

    def set_password(self, user: AbstractBaseUser, password: str) -> None:
        """Save the new password and log whether it was a reset (by emailed key) or a change."""
        super().set_password(user, password)
        request = self.request
        match = getattr(request, "resolver_match", None) if request is not None else None
        via_reset = bool(match and (match.url_name or "").startswith("account_reset_password"))
        security_event_record(
            kind=SecurityEvent.Kind.PASSWORD_RESET_DONE
            if via_reset
            else SecurityEvent.Kind.PASSWORD_CHANGED,
            request=request,
            user=user if isinstance(user, User) else None,
            realm=_realm_of_user(user),
        )

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        """Staff land on their console, customers on their personal account."""
        if getattr(request.user, "is_staff", False):
            return reverse("staff:console")
        return super().get_login_redirect_url(request)

    def get_client_ip(self, request: HttpRequest) -> str:
        """The address allauth's rate limits count by: the project's one client_ip helper.

        allauth's own reads ALLAUTH_TRUSTED_PROXY_COUNT, unset here: behind a proxy it would
        count every client as the proxy, and ten wrong passwords would lock out everyone.
        """
        ip = client_ip(request)
        if ip is None:
            raise PermissionDenied("Unable to determine the client's IP address.")
        return ip
