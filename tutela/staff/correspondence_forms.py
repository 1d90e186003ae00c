"""Staff forms for correspondence: record an email or a call by hand, file unmatched mail (R40).

The services validate everything again (addresses, lengths, control characters, dates, the
recording's bytes); these forms only parse what was typed and name the field at fault.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms

from tutela.correspondence.api import (
    BODY_MAX,
    NOTES_MAX,
    RECORDING_MAX_BYTES,
    SUBJECT_LINE_MAX,
    Direction,
)


class _Form(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class EmailRecordForm(_Form):
    """An email sent or received outside the imported mailbox (a colleague's inbox, a phone)."""

    direction = forms.ChoiceField(
        label="Direction", choices=Direction.choices, widget=forms.RadioSelect
    )
    from_address = forms.CharField(label="From", max_length=254)
    to_addresses = forms.CharField(
        label="To", max_length=2000, help_text="One or more addresses, separated by commas."
    )
    sent_at = forms.DateTimeField(
        label="Sent at",
        help_text="UK time, for example 2026-03-31 14:05.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    subject_line = forms.CharField(label="Subject", max_length=SUBJECT_LINE_MAX, required=False)
    body = forms.CharField(
        label="Message", max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 10})
    )


class CallRecordForm(_Form):
    """A phone call: when, which way, how long, notes, and the recording if there is one."""

    occurred_at = forms.DateTimeField(
        label="When",
        help_text="UK time, for example 2026-03-31 14:05.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    direction = forms.ChoiceField(
        label="Direction",
        choices=[(Direction.INCOMING, "The customer called us"), (Direction.OUTGOING, "We called")],
        widget=forms.RadioSelect,
    )
    duration = forms.DurationField(
        label="Duration",
        help_text="Minutes and seconds, for example 12:30 (or 1:05:00 for an hour and five).",
    )
    notes = forms.CharField(
        label="Notes",
        max_length=NOTES_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What was asked and agreed. Write only what the matter needs.",
    )
    recording = forms.FileField(
        label="Recording",
        required=False,
        help_text=(
            f"Optional: a WAV, MP3 or Ogg file of at most {RECORDING_MAX_BYTES // (1024 * 1024)}"
            " MB. It is encrypted, and deleted after 90 days."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": "audio/wav,audio/mpeg,audio/ogg"}),
    )

    def clean_duration(self) -> int:
        """The duration in whole seconds; negative ones are refused."""
        duration: timedelta = self.cleaned_data["duration"]
        if duration < timedelta(0):
            raise forms.ValidationError("The duration cannot be negative.")
        return int(duration.total_seconds())

    def clean_recording(self) -> Any:
        """Refuse an oversized file before the service reads it."""
        upload = self.cleaned_data.get("recording")
        if upload is not None and upload.size > RECORDING_MAX_BYTES:
            limit = RECORDING_MAX_BYTES // (1024 * 1024)
            raise forms.ValidationError(f"The recording is larger than {limit} MB.")
        return upload


class FileEmailForm(_Form):
    """Whose an unmatched message is: the customer's sign-in email address."""

    customer_email = forms.EmailField(
        label="Customer's email address",
        help_text="The address the customer signs in with (find them first if unsure).",
    )
