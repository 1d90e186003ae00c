"""Customer registration on allauth's sign-up page, without allauth's plaintext address copy.

allauth's SignupForm (built on SignupDetailsForm, so it carries the profile fields) validates as
usual; only saving differs: the address is stored encrypted on the user (accounts.User.email)
and never in allauth's EmailAddress table, and an address that already has an account gets a
notice by email while the page shows the same "check your inbox" as a real sign-up.
"""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import get_adapter
from allauth.account.forms import SignupForm
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from tutela.accounts.api import User, email_registration_taken_notify


class CustomerSignupForm(SignupForm):
    """allauth's sign-up form with Tutela's storage of the address (ACCOUNT_FORMS["signup"])."""

    def clean_email(self) -> str:
        """A taken address is not an error here: try_save() notifies its owner instead.

        allauth hides a taken address only when it runs verification itself; Tutela does, so
        the check is made here, through the blind index (`User.objects.filter(email=...)`).
        """
        value = get_adapter().clean_email(self.cleaned_data["email"].strip().lower())
        self.account_already_exists = User.objects.filter(email=value).exists()
        return value

    def save(self, request: HttpRequest) -> AbstractBaseUser:
        """Create the identity and, through SignupDetailsForm.signup, the customer profile."""
        if self.account_already_exists:
            raise ValueError("save() called for an address that already has an account")
        adapter = get_adapter(request)
        user = adapter.save_user(request, adapter.new_user(request), self)
        self.custom_signup(request, user)
        return user

    def try_save(self, request: HttpRequest) -> tuple[Any, HttpResponse | None]:
        """Save, or, for a taken address, notify its owner and answer exactly as for a new one."""
        if self.account_already_exists:
            email_registration_taken_notify(request=request, email=self.cleaned_data["email"])
            return None, redirect("accounts:verification_sent")
        return self.save(request), None
