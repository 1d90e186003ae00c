"""Forms for what a customer tells us about themselves (R1, R15, R40)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest
from django_countries import countries

from tutela.accounts.api import User
from tutela.customers.models import PROFILE_FIELDS, Customer, profile_field
from tutela.customers.services import customer_register
from tutela.customers.validators import normalise_phone, validate_uk_postcode

_MODEL_FIELDS = forms.fields_for_model(Customer, fields=PROFILE_FIELDS)
# A plain Form (allauth's sign-up) does not run model validators, so carry them onto the fields.
for _name, _field in _MODEL_FIELDS.items():
    _field.validators.extend(
        v for v in profile_field(_name).validators if v not in _field.validators
    )
# The country is stored encrypted as its ISO code; people choose it by name from a list.
_MODEL_FIELDS["country"] = forms.ChoiceField(label="Country", choices=list(countries), initial="GB")


class ProfileCleaningMixin:
    """Normalises phones to E.164 and checks UK postcodes; shared by sign-up and edit."""

    cleaned_data: dict[str, Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def _clean_phone_field(self, name: str) -> str:
        value = self.cleaned_data.get(name, "")
        if not value:
            return ""
        country = str(self.cleaned_data.get("country") or "GB")
        return normalise_phone(value, region=country)

    def clean_phone(self) -> str:
        """The main phone, required, in international format."""
        return self._clean_phone_field("phone")

    def clean_phone_alt(self) -> str:
        """An optional second phone."""
        return self._clean_phone_field("phone_alt")

    def clean(self) -> dict[str, Any]:
        """Country-dependent checks that need more than one field."""
        cleaned = super().clean()  # type: ignore[misc]
        postcode = cleaned.get("postcode")
        if postcode and str(cleaned.get("country") or "") == "GB":
            try:
                validate_uk_postcode(postcode)
            except forms.ValidationError as exc:
                self.add_error("postcode", exc)  # type: ignore[attr-defined]
            else:
                cleaned["postcode"] = postcode.strip().upper()
        return cleaned


class SignupDetailsForm(ProfileCleaningMixin, forms.Form):
    """The registration fields the policy lists, added to allauth's sign-up form (R1).

    allauth builds its SignupForm on top of this class (ACCOUNT_SIGNUP_FORM_CLASS) and calls
    `signup()` once the user row exists, inside the request's transaction (ATOMIC_REQUESTS).
    """

    full_name = _MODEL_FIELDS["full_name"]
    company_name = _MODEL_FIELDS["company_name"]
    field_of_activity = _MODEL_FIELDS["field_of_activity"]
    address_line1 = _MODEL_FIELDS["address_line1"]
    address_line2 = _MODEL_FIELDS["address_line2"]
    city = _MODEL_FIELDS["city"]
    postcode = _MODEL_FIELDS["postcode"]
    country = _MODEL_FIELDS["country"]
    phone = _MODEL_FIELDS["phone"]
    phone_alt = _MODEL_FIELDS["phone_alt"]

    def signup(self, request: HttpRequest, user: User) -> None:
        """Create the customer profile for the new identity."""
        customer_register(
            user=user, details={name: self.cleaned_data[name] for name in PROFILE_FIELDS}
        )


class ProfileForm(ProfileCleaningMixin, forms.ModelForm):
    """The personal account's edit form (rectification, R15)."""

    country = _MODEL_FIELDS["country"]

    class Meta:
        model = Customer
        fields = PROFILE_FIELDS
