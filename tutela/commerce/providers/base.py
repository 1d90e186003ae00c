"""The payment-provider interface: what Tutela asks of a card processor, and what it gets back.

Chosen by setting, as Django chooses its backends: `TUTELA_PAYMENT_PROVIDER` names a subclass
of PaymentProvider (default: the fake provider, for the embedded demo and the tests).

Card-industry practice (PCI DSS, R43): the card number and security code go to the provider's
hosted field and nowhere else; Tutela gets back a token, the brand, the last four digits and the
expiry, and charges or refunds the token. A real provider's hosted field runs on the provider's
own page or iframe; the fake one runs in-process and stands for it (commerce/views.py).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import NoReturn

from django.views.decorators.debug import sensitive_variables


@dataclass(frozen=True, slots=True)
class CardDetails:
    """What the person typed into the hosted field; it never leaves the hosted-field request.

    Printing it shows only the last four digits, and it refuses to be pickled, so it cannot end
    up in a log line, an error report, the session or the cache by accident.
    """

    number: str = field(repr=False)
    exp_month: int
    exp_year: int
    cvc: str = field(repr=False)

    def __repr__(self) -> str:
        return f"CardDetails(ending {self.number[-4:]}, {self.exp_month:02d}/{self.exp_year})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("card details are never serialised (PCI DSS): tokenize them instead")

    def __getstate__(self) -> NoReturn:
        raise TypeError("card details are never serialised (PCI DSS): tokenize them instead")


@dataclass(frozen=True, slots=True)
class CardToken:
    """The provider's answer to tokenize: everything Tutela may keep about a card."""

    token: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True, slots=True)
class ChargeResult:
    """The provider's answer to a charge or a refund: approved with a reference, or declined."""

    approved: bool
    reference: str = ""
    # The provider's reason, as a short code ("card_declined", "insufficient_funds").
    decline_reason: str = ""


class PaymentProvider(abc.ABC):
    """A card processor. Subclasses name themselves and implement the three calls."""

    # How payments record where their token belongs ("fake", "stripe", ...).
    name: str = ""
    # The policy's key for this processor (policy/c-mes.yaml, `processors`), or None when no
    # third party receives anything (the fake). A system check holds it to the policy (R26).
    processor: str | None = None

    @abc.abstractmethod
    def tokenize(self, *, card: CardDetails) -> CardToken:
        """Exchange card details for a token; a ValidationError keyed by form field
        (card_number, expiry, cvc) when the provider refuses them."""

    @abc.abstractmethod
    def charge(
        self, *, token: str, amount_pence: int, currency: str, idempotency_key: str
    ) -> ChargeResult:
        """Charge the card behind `token`; the same idempotency key never charges twice."""

    @abc.abstractmethod
    def refund(self, *, reference: str, amount_pence: int, currency: str) -> ChargeResult:
        """Refund (part of) the charge with this reference."""


@sensitive_variables()
def luhn_valid(number: str) -> bool:
    """The Luhn (mod 10) check digit of a card number holds (ISO/IEC 7812-1)."""
    if not number.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def luhn_check_digit(partial: str) -> str:
    """The digit that makes `partial` + digit pass the Luhn check (for tests and test cards)."""
    for digit in "0123456789":
        if luhn_valid(partial + digit):
            return digit
    raise ValueError("not a string of digits")  # pragma: no cover - some digit always fits
