"""The fake payment provider: the embedded default and the tests' provider. It moves no money.

It behaves like a card processor in test mode: it accepts only its documented test cards, checks
the number (Luhn), the expiry and the security code the way a real hosted field does, and refuses
them with an error naming the field. Its tokens carry only the test card's outcome, never a
digit of the card.

Test cards (any future expiry; any 3-digit security code, 4 digits for American Express):

    4242 4242 4242 4242   Visa              approved
    5555 5555 5555 4444   Mastercard        approved
    3782 822463 10005     American Express  approved
    4000 0000 0000 0002   Visa              declined: card_declined
    4000 0000 0000 9995   Visa              declined: insufficient_funds
"""

from __future__ import annotations

import secrets
import threading

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from tutela.commerce.providers.base import (
    CardDetails,
    CardToken,
    ChargeResult,
    PaymentProvider,
    luhn_valid,
)

APPROVED = "approved"
# number -> (brand, outcome): outcome is APPROVED or the decline reason.
TEST_CARDS: dict[str, tuple[str, str]] = {
    "4242424242424242": ("Visa", APPROVED),
    "5555555555554444": ("Mastercard", APPROVED),
    "378282246310005": ("American Express", APPROVED),
    "4000000000000002": ("Visa", "card_declined"),
    "4000000000009995": ("Visa", "insufficient_funds"),
}
_TOKEN_PREFIX = "tok_fake_"  # noqa: S105 (a public prefix, not a secret)
_OUTCOMES = frozenset(outcome for _, outcome in TEST_CARDS.values())
# The longest card life we accept; a year beyond it is a typing mistake.
MAX_YEARS_AHEAD = 20


class FakeProvider(PaymentProvider):
    """A card processor in test mode, in-process; see the module docstring for its test cards."""

    name = "fake"
    processor = None  # nothing leaves this process

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # idempotency key -> result: retrying a charge returns the first answer, as real ones do.
        self._charges: dict[str, ChargeResult] = {}

    @sensitive_variables()
    def tokenize(self, *, card: CardDetails) -> CardToken:
        """A token for a valid test card; a ValidationError naming each bad field otherwise."""
        errors: dict[str, str] = {}
        number = card.number
        known = TEST_CARDS.get(number)
        if not number.isdigit() or not 12 <= len(number) <= 19:
            errors["card_number"] = "Enter the 12 to 19 digits of the card number."
        elif not luhn_valid(number):
            errors["card_number"] = "This card number is not valid: check the digits."
        elif known is None:
            errors["card_number"] = (
                "This is not one of the test cards of the fake payment provider; "
                "use 4242 4242 4242 4242 (see docs/security.md)."
            )
        expiry_error = _expiry_problem(card.exp_month, card.exp_year)
        if expiry_error:
            errors["expiry"] = expiry_error
        cvc_length = 4 if known is not None and known[0] == "American Express" else 3
        if not card.cvc.isdigit() or len(card.cvc) != cvc_length:
            errors["cvc"] = f"Enter the {cvc_length}-digit security code."
        if errors or known is None:
            raise ValidationError(errors)
        brand, outcome = known
        return CardToken(
            token=f"{_TOKEN_PREFIX}{outcome}_{secrets.token_hex(12)}",
            brand=brand,
            last4=number[-4:],
            exp_month=card.exp_month,
            exp_year=card.exp_year,
        )

    def charge(
        self, *, token: str, amount_pence: int, currency: str, idempotency_key: str
    ) -> ChargeResult:
        """Approve or decline as the test card behind the token says."""
        with self._lock:
            earlier = self._charges.get(idempotency_key)
            if earlier is not None:
                return earlier
            outcome = _outcome(token)
            if amount_pence <= 0 or currency != "GBP":
                result = ChargeResult(approved=False, decline_reason="invalid_amount")
            elif outcome is None:
                result = ChargeResult(approved=False, decline_reason="invalid_token")
            elif outcome != APPROVED:
                result = ChargeResult(approved=False, decline_reason=outcome)
            else:
                result = ChargeResult(approved=True, reference=f"ch_fake_{secrets.token_hex(12)}")
            self._charges[idempotency_key] = result
            return result

    def refund(self, *, reference: str, amount_pence: int, currency: str) -> ChargeResult:
        """Refund a charge this provider made."""
        if not reference.startswith("ch_fake_") or amount_pence <= 0:
            return ChargeResult(approved=False, decline_reason="invalid_refund")
        return ChargeResult(approved=True, reference=f"re_fake_{secrets.token_hex(12)}")


def _outcome(token: str) -> str | None:
    if not token.startswith(_TOKEN_PREFIX):
        return None
    outcome, _, rest = token[len(_TOKEN_PREFIX) :].rpartition("_")
    return outcome if outcome in _OUTCOMES and rest else None


def _expiry_problem(month: int, year: int) -> str:
    today = timezone.localdate()
    if not 1 <= month <= 12:
        return "The expiry month must be 01 to 12."
    if (year, month) < (today.year, today.month):
        return "This card has expired: use a card whose expiry date has not passed."
    if year > today.year + MAX_YEARS_AHEAD:
        return "Check the expiry year: it is too far in the future."
    return ""
