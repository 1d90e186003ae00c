"""Field validators for what a customer types about themselves (R1, R40)."""

from __future__ import annotations

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django_countries import countries

# Names and addresses never need markup characters; refusing them stops stored XSS at the door
# (templates escape anyway) and keeps exports clean.
_MARKUP = re.compile(r"[<>]")
# Control characters other than ordinary whitespace have no place in a name or an address line.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_UK_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")


def validate_plain_text(value: str) -> None:
    """Refuse markup and control characters with a message that says which."""
    if _MARKUP.search(value):
        raise ValidationError(
            "Use plain text: the characters < and > are not allowed.", code="markup"
        )
    if _CONTROL.search(value):
        raise ValidationError("Remove the control characters from this text.", code="control")


def validate_country_code(value: str) -> None:
    """An ISO 3166-1 alpha-2 code that django-countries knows."""
    if value not in countries:
        raise ValidationError("Choose a country from the list.", code="country")


def validate_uk_postcode(value: str) -> None:
    """A UK postcode in the Royal Mail format (e.g. W1U 6TU)."""
    if not _UK_POSTCODE.match(value.strip().upper()):
        raise ValidationError("Enter a UK postcode such as W1U 6TU.", code="postcode")


def normalise_phone(value: str, *, region: str = "GB") -> str:
    """Parse a phone number (national numbers default to the UK) and return it in E.164."""
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            "Enter a phone number such as 020 8068 4673 or +44 20 8068 4673.", code="phone"
        ) from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError("This phone number does not exist; check the digits.", code="phone")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
