"""Staff forms for erasure: carrying it out after the preview, ticking off a processor."""

from __future__ import annotations

from typing import Any

from django import forms


class _Form(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class CarryOutForm(_Form):
    """The privacy officer confirms they read the preview: erasure cannot be undone."""

    checked = forms.BooleanField(
        label="I have read the preview above: erase this person's data. This cannot be undone.",
        error_messages={"required": "Tick the box to confirm you have read the preview."},
    )


class NoticeDoneForm(_Form):
    """How the processor was told, and what it confirmed."""

    confirmation = forms.CharField(
        label="How you told them, and what they confirmed",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For example: emailed their privacy team, ticket 4521, deletion confirmed on "
        "3 May. No personal data: the person's keys are already destroyed.",
    )
