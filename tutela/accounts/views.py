"""Pages for proving and changing the sign-in email (see emails.py for why they are Tutela's)."""

from __future__ import annotations

from allauth.account.decorators import reauthentication_required
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from tutela.accounts import emails
from tutela.accounts.models import User


def verification_sent(request: HttpRequest) -> HttpResponse:
    """ "Check your inbox": the same page whether or not the address had an account."""
    return render(request, "accounts/verification_sent.html")


@require_http_methods(["GET", "POST"])
def email_verify(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """GET shows a button, POST confirms: mail scanners that follow links change nothing."""
    user = emails.user_for_link(uidb64, token)
    if user is None:
        return render(request, "accounts/link_invalid.html", status=400)
    if request.method == "POST":
        emails.email_verify(user=user, request=request)
        messages.success(request, "Thank you: your email address is confirmed. Please sign in.")
        return redirect("account_login")
    return render(request, "accounts/email_verify.html", {"email": user.email})


class EmailChangeForm(forms.Form):
    """The new sign-in address."""

    email = forms.EmailField(label="New email address", max_length=254)

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.user = user

    def clean_email(self) -> str:
        """Refuse the address the account already uses (other accounts' are not revealed)."""
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(pk=self.user.pk, email=email).exists():
            raise forms.ValidationError("This is already your sign-in email address.")
        return email


@login_required
@reauthentication_required
@require_http_methods(["GET", "POST"])
def email_change(request: HttpRequest) -> HttpResponse:
    """Ask for a new sign-in address (R5: after re-authentication); confirmed by emailed link."""
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - login_required guarantees it
    form = EmailChangeForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        new_email = form.cleaned_data["email"]
        emails.email_change_request(user=user, new_email=new_email, request=request)
        messages.success(
            request,
            "We sent a confirmation link to the new address. Your sign-in email changes when you "
            "follow it; until then you sign in with the current one.",
        )
        return redirect("accounts:email_change")
    return render(request, "accounts/email_change.html", {"form": form, "user": user})


@require_http_methods(["GET", "POST"])
def email_change_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """GET shows a button, POST switches the address to the pending one."""
    user = emails.user_for_link(uidb64, token)
    if user is None or not user.pending_email:
        return render(request, "accounts/link_invalid.html", status=400)
    if request.method == "POST":
        if emails.email_change_confirm(user=user, request=request):
            messages.success(request, "Your sign-in email address is changed.")
        else:
            messages.error(request, "That address could not be used. Please try another one.")
        return redirect("account_login" if not request.user.is_authenticated else "core:home")
    return render(request, "accounts/email_change_confirm.html", {"email": user.pending_email})
