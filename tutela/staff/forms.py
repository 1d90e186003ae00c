"""Staff forms: customer search and a correction made on a customer's behalf (R15, R40)."""

from __future__ import annotations

from typing import Any

from django import forms

# The personal account's own form, so a staff correction is validated exactly like the
# customer's (phones to E.164, UK postcodes, plain text).
from tutela.customers.api import PROFILE_FIELDS, ProfileForm


class CustomerSearchForm(forms.Form):
    """A full email address (exact match) or part of a name."""

    q = forms.CharField(
        label="Email address or name",
        max_length=254,
        help_text="The full email address, or at least two letters of the name.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_q(self) -> str:
        """At least two characters for a name search: one letter would list almost everyone."""
        query = str(self.cleaned_data["q"]).strip()
        if "@" not in query and len(query) < 2:
            raise forms.ValidationError(
                "Type at least two letters of the name, or the full email address.",
                code="too_short",
            )
        return query


class StaffCorrectionForm(ProfileForm):
    """The profile fields plus the reason for the correction, which is kept with it."""

    reason = forms.CharField(
        label="Reason for the correction",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: customer phoned on 3 March and gave the new address.",
    )

    def clean(self) -> dict[str, Any]:
        """A correction must change something; an unchanged form is refused, not recorded."""
        cleaned = super().clean()
        if not self.errors and not self.profile_changes():
            raise forms.ValidationError(
                "Nothing to correct: change at least one field.", code="unchanged"
            )
        return cleaned

    def profile_changes(self) -> dict[str, Any]:
        """The profile fields whose cleaned value differs from the stored one, with new values.

        Compared after cleaning, not with `changed_data`: "020 8068 4673" typed over the stored
        "+442080684673" is the same number and no correction.
        """
        return {
            name: self.cleaned_data[name]
            for name in PROFILE_FIELDS
            if name in self.cleaned_data
            and str(self.cleaned_data[name]) != str(self.initial.get(name) or "")
        }
