"""Forms for the newsletter; the opt-in box is never pre-ticked and says exactly what is agreed."""

from __future__ import annotations

from typing import Any

from django import forms

from tutela.consent.notices import NEWSLETTER_CONSENT


class _AgreeForm(forms.Form):
    """The opt-in box, labelled with the exact consent text whose hash the ledger keeps."""

    agree = forms.BooleanField(
        label=NEWSLETTER_CONSENT.text,
        required=False,  # the service refuses an unticked box with its own message
        initial=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class AccountSubscribeForm(_AgreeForm):
    """A customer asks for the newsletter at their sign-in address."""


class NewsletterForm(_AgreeForm):
    """A visitor without an account asks for the newsletter at an address of theirs."""

    email = forms.CharField(
        label="Your email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    field_order = ("email", "agree")
