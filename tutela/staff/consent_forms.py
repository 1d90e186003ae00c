"""Staff forms for mail subscriptions: find a caller by address, record their unsubscribe."""

from __future__ import annotations

from typing import Any

from django import forms


class _EmailForm(forms.Form):
    email = forms.EmailField(
        label="The caller's email address",
        max_length=254,
        help_text="The address they receive our newsletter at, typed in full.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class SubscriptionLookupForm(_EmailForm):
    """Look up one address (posted, so the address never appears in a URL or server log)."""


class PhoneUnsubscribeForm(_EmailForm):
    """The caller's request: stop the newsletter, and optionally never email the address."""

    suppress = forms.BooleanField(
        label="They also ask us never to email this address again (do-not-email list)",
        required=False,
        initial=False,
        help_text="Then nobody can subscribe the address again, not even the caller.",
    )
