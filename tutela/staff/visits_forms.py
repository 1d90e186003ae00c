"""The filter of the visits log (R40: a bad value is named on its field, nothing is searched)."""

from __future__ import annotations

from typing import Any

from django import forms


class VisitsFilterForm(forms.Form):
    """An IP address and/or a person's subject id; both optional."""

    ip = forms.GenericIPAddressField(
        label="IP address",
        required=False,
        help_text="A full IPv4 or IPv6 address; rows already cut to its network are shown too.",
        error_messages={"invalid": "Enter a full IPv4 or IPv6 address, such as 203.0.113.7."},
    )
    subject = forms.UUIDField(
        label="Person (subject id)",
        required=False,
        help_text="Open it from a customer's page: “Visits from this customer”.",
        error_messages={"invalid": "Enter a subject id as shown in the log (a UUID)."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
