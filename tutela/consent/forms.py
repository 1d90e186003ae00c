"""Forms for the newsletter and cookie choices; no box is ever pre-ticked, and the newsletter's
says exactly what is agreed."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from tutela.consent.cookies import choosable_groups
from tutela.consent.models import CookieChoice
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


class CookieChoiceForm(forms.Form):
    """The banner's and the cookie settings page's one form: which button, which groups.

    Rendered by hand (consent/cookies/_choice_form.html): the two buttons must look the same.
    The groups come from the policy file; an unknown one is refused with the groups named.
    """

    action = forms.ChoiceField(
        choices=CookieChoice.Method.choices,
        error_messages={
            "required": "Press “Accept all”, “Reject all” or “Save my choices”.",
            "invalid_choice": "Press “Accept all”, “Reject all” or “Save my choices”.",
        },
    )
    allow = forms.MultipleChoiceField(required=False)
    next = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        groups = choosable_groups()
        allow = cast(forms.MultipleChoiceField, self.fields["allow"])
        allow.choices = [(group, group) for group in groups]
        allow.error_messages["invalid_choice"] = (
            f"%(value)s is not a cookie group you can choose; the groups are {', '.join(groups)}."
        )
