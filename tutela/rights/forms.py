"""Forms for asking to use a right; the services check everything again (R40)."""

from __future__ import annotations

from typing import Any

from django import forms

from tutela.rights.models import DataSubjectRequest

Kind = DataSubjectRequest.Kind

# What to write for each kind; the rights marked required cannot be acted on without it.
DETAILS_HELP: dict[str, tuple[str, bool]] = {
    Kind.ACCESS: ("Optional: anything that helps us find your data.", False),
    Kind.PORTABILITY: ("Optional: anything that helps us find your data.", False),
    Kind.ERASURE: (
        "Optional: why, or what you want deleted. Financial records such as invoices are kept "
        "for as long as UK law requires, with as little about you as possible.",
        False,
    ),
    Kind.RECTIFICATION: (
        "Which details are wrong or incomplete, and what they should say. (Most details you can "
        "correct yourself in your personal account.)",
        True,
    ),
    Kind.RESTRICTION: (
        "Why we should limit the processing: for example, you contest the accuracy of the data, "
        "or you need it kept for a legal claim.",
        True,
    ),
    Kind.OBJECTION: (
        "Which processing you object to, and why. An objection to direct marketing always "
        "stops it.",
        True,
    ),
}
DETAILS_MAX = 4000


def _details_field() -> forms.CharField:
    return forms.CharField(
        label="Details",
        max_length=DETAILS_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


def _require_details(form: forms.Form, kind: str) -> None:
    help_text, required = DETAILS_HELP.get(kind, ("", False))
    if required and not form.cleaned_data.get("details", "").strip():
        form.add_error("details", f"Please tell us: {help_text[:1].lower()}{help_text[1:]}")


class AskForm(forms.Form):
    """A signed-in customer's request: the kind comes from the button they pressed."""

    details = _details_field()

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields["details"].help_text = DETAILS_HELP[kind][0]
        self.fields["details"].required = DETAILS_HELP[kind][1]

    def clean(self) -> dict[str, Any]:
        """Details are needed for the rights that cannot be acted on without them."""
        cleaned = super().clean() or {}
        _require_details(self, self.kind)
        return cleaned


class AskWithoutAccountForm(forms.Form):
    """A request from someone without an account: confirmed by a link sent to the address."""

    kind = forms.ChoiceField(
        label="What would you like us to do?", choices=Kind.choices, widget=forms.RadioSelect
    )
    requester_name = forms.CharField(label="Your name", max_length=150)
    requester_email = forms.EmailField(
        label="Your email address",
        max_length=254,
        help_text="We send a link to this address: your request starts when you follow it.",
    )
    details = _details_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["details"].help_text = (
            "What you want, and anything that helps us find your data (for example an order "
            "number). Required to correct, limit or object."
        )

    def clean(self) -> dict[str, Any]:
        """Details are needed for the rights that cannot be acted on without them."""
        cleaned = super().clean() or {}
        if cleaned.get("kind"):
            _require_details(self, cleaned["kind"])
        return cleaned
