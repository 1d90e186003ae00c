"""Staff form for newsletter campaigns: the words only; the service checks them again (R40)."""

from __future__ import annotations

from typing import Any

from django import forms

from tutela.campaigns.api import ALLOWED_TAGS, HTML_MAX, SUBJECT_MAX, TEXT_MAX


class CampaignForm(forms.Form):
    """Subject line, text version and optional HTML version of a campaign."""

    subject = forms.CharField(label="Subject line", max_length=SUBJECT_MAX)
    text_body = forms.CharField(
        label="Text version",
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text="Plain text, without < or >. Every email ends with the unsubscribe footer, "
        "added for you.",
    )
    html_body = forms.CharField(
        label="HTML version (optional)",
        max_length=HTML_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text="Formatting and links only: "
        + ", ".join(f"<{tag}>" for tag in sorted(ALLOWED_TAGS))
        + ". Links and images need a full https:// address; no scripts, forms or style sheets.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
