"""Staff forms for rights requests: entering one received offline, and each action on it.

The services check everything again and name the field of any problem (R40).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone

from tutela.rights.api import DataSubjectRequest

_NOTE_MAX = 2000
# Requests staff enter arrive by these channels; the account and the API enter their own.
OFFLINE_CHANNELS = [
    (DataSubjectRequest.Channel.EMAIL.value, DataSubjectRequest.Channel.EMAIL.label),
    (DataSubjectRequest.Channel.PHONE.value, DataSubjectRequest.Channel.PHONE.label),
    (DataSubjectRequest.Channel.POST.value, DataSubjectRequest.Channel.POST.label),
]


class _Form(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def _note(label: str, help_text: str = "", *, max_length: int = _NOTE_MAX) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class DsrEnterForm(_Form):
    """A request received by email, phone or post (R19)."""

    kind = forms.ChoiceField(label="Right", choices=DataSubjectRequest.Kind.choices)
    channel = forms.ChoiceField(label="Received by", choices=OFFLINE_CHANNELS)
    received_at = forms.DateTimeField(
        label="Received at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="When it reached us: the deadline counts from here.",
    )
    requester_name = forms.CharField(label="Name of the person asking", max_length=150)
    requester_email = forms.EmailField(
        label="Their email address",
        max_length=254,
        required=False,
        help_text="Where we answer; needed for an email request. If it is a customer's sign-in "
        "address, the request is filed under that customer.",
    )
    details = forms.CharField(
        label="What they asked",
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    identity_checked = forms.BooleanField(
        label="I have already checked their identity", required=False
    )
    identity_note = forms.CharField(
        label="How",
        max_length=500,
        required=False,
        help_text="What you checked (for example: answered security questions on the phone). "
        "Never copy a document's number.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["received_at"].initial = timezone.localtime().replace(second=0, microsecond=0)

    def clean(self) -> dict[str, Any]:
        """An identity check needs a note of what was checked."""
        cleaned = super().clean() or {}
        if cleaned.get("identity_checked") and not cleaned.get("identity_note", "").strip():
            self.add_error("identity_note", "Say what you checked.")
        return cleaned


class VerifyForm(_Form):
    """An identity check made by staff (R12)."""

    note = _note(
        "What you checked",
        "For example: called back on the number on the account and confirmed the last order. "
        "Never copy a document's number.",
        max_length=500,
    )


class PauseForm(_Form):
    """Ask the person to clarify; the question is emailed and the clock waits."""

    question = _note("What do you need to know?", "Emailed to the person as written.")


class ResumeForm(_Form):
    """The person answered, or paid the fee."""

    note = _note("What they answered, or that the fee was paid")


class ExtendForm(_Form):
    """Extend the deadline (Art. 12(3)); the reason is emailed to the person."""

    months = forms.TypedChoiceField(
        label="Extend by",
        choices=[(1, "1 month"), (2, "2 months")],
        coerce=int,
        widget=forms.RadioSelect,
    )
    reason = _note("Why", "Emailed to the person: the request's complexity or number.")


class DecideForm(_Form):
    """Mark a request manifestly unfounded or excessive, and refuse it or ask a fee."""

    manifestly = forms.ChoiceField(
        label="The request is",
        choices=DataSubjectRequest.Manifestly.choices,
        widget=forms.RadioSelect,
    )
    decision = forms.ChoiceField(
        label="Decision",
        choices=DataSubjectRequest.Decision.choices,
        widget=forms.RadioSelect,
    )
    fee = forms.DecimalField(
        label="Fee (£)",
        required=False,
        min_value=Decimal("0.01"),
        max_digits=8,
        decimal_places=2,
        help_text="Only to ask a fee: the administrative cost of answering.",
    )
    reason = _note("Reason", "Emailed to the person, with their right to complain to the ICO.")

    @property
    def fee_pence(self) -> int | None:
        """The fee in pence, if one was given."""
        fee = self.cleaned_data.get("fee")
        return None if fee is None else int(fee * 100)


class CompleteForm(_Form):
    """Close the request as done."""

    outcome = _note("What was done", "Emailed to the person.")
