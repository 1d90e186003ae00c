"""Forms for the shop: choosing what to order, and the card form of the hosted payment field."""

from __future__ import annotations

import re
from typing import Any, cast

from django import forms
from django.views.decorators.debug import sensitive_variables

from tutela.commerce.models import MAX_QUANTITY, Product
from tutela.commerce.providers import CardDetails
from tutela.commerce.selectors import products_for_sale


class OrderForm(forms.Form):
    """One product or service and how many; the confirmation step shows the totals first."""

    product = forms.ModelChoiceField(
        label="Product or service",
        queryset=Product.objects.none(),
        empty_label="Choose one",
        error_messages={
            "required": "Choose a product or service to order.",
            "invalid_choice": "Choose a product or service from the list.",
        },
    )
    quantity = forms.IntegerField(
        label="Quantity",
        min_value=1,
        max_value=MAX_QUANTITY,
        initial=1,
        error_messages={
            "required": "Enter how many you would like.",
            "invalid": "Enter the quantity as a whole number.",
            "min_value": f"Order between 1 and {MAX_QUANTITY}.",
            "max_value": f"Order between 1 and {MAX_QUANTITY}.",
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["product"]).queryset = products_for_sale()


class UnrenderedInput(forms.TextInput):
    """A text input that never writes its value back into the page.

    Card number and security code are not echoed when the form comes back with an error, so
    they are never in a page, a browser's cache or a proxy's log of responses.
    """

    def format_value(self, value: Any) -> str | None:
        return None


_EXPIRY = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*$")


class CardForm(forms.Form):
    """The hosted card field: number, expiry, security code. No cardholder name: the provider
    does not need it, so we do not ask (data minimisation)."""

    card_number = forms.CharField(
        label="Card number",
        max_length=23,  # 19 digits and four spaces
        widget=UnrenderedInput(
            attrs={"autocomplete": "cc-number", "inputmode": "numeric", "spellcheck": "false"}
        ),
        error_messages={"required": "Enter the card number."},
    )
    expiry = forms.CharField(
        label="Expiry date (MM/YY)",
        max_length=7,
        widget=forms.TextInput(attrs={"autocomplete": "cc-exp", "placeholder": "MM/YY"}),
        error_messages={"required": "Enter the expiry date as MM/YY."},
    )
    cvc = forms.CharField(
        label="Security code",
        max_length=4,
        help_text="The 3 digits on the back of the card (4 on the front for American Express).",
        widget=UnrenderedInput(
            attrs={"autocomplete": "cc-csc", "inputmode": "numeric", "spellcheck": "false"}
        ),
        error_messages={"required": "Enter the security code."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    @sensitive_variables()
    def clean_card_number(self) -> str:
        """Digits only: the spaces and hyphens people type between groups are dropped."""
        return re.sub(r"[\s-]", "", self.cleaned_data["card_number"])

    def clean_expiry(self) -> tuple[int, int]:
        """(month, year) from MM/YY or MM/YYYY."""
        match = _EXPIRY.match(self.cleaned_data["expiry"])
        if match is None:
            raise forms.ValidationError("Enter the expiry date as MM/YY, for example 04/29.")
        month, year = int(match[1]), int(match[2])
        return month, year + 2000 if year < 100 else year

    @sensitive_variables()
    def clean_cvc(self) -> str:
        return self.cleaned_data["cvc"].strip()

    @sensitive_variables()
    def card(self) -> CardDetails:
        """The details for the provider's tokenize call (valid form only)."""
        month, year = self.cleaned_data["expiry"]
        return CardDetails(
            number=self.cleaned_data["card_number"],
            exp_month=month,
            exp_year=year,
            cvc=self.cleaned_data["cvc"],
        )
