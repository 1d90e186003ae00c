"""The policy file's vocabulary: scalar types (keys, texts, fideslang keys, phones, durations)
and the closed value sets (lawful bases, events, actions, transfer mechanisms, rights, ...).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Annotated

import phonenumbers
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from pydantic import AfterValidator, Field, StringConstraints

# --- Scalar types --------------------------------------------------------------------------------

Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,47}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Keys = Annotated[tuple[Key, ...], Field(min_length=1)]


@cache
def _fideslang_keys() -> tuple[frozenset[str], frozenset[str], str]:
    """Data category and data use keys of the taxonomy the fideslang package ships (offline)."""
    import fideslang  # Deferred: the taxonomy takes a quarter of a second to import.

    taxonomy = fideslang.DEFAULT_TAXONOMY
    return (
        frozenset(c.fides_key for c in taxonomy.data_category),
        frozenset(u.fides_key for u in taxonomy.data_use),
        fideslang.__version__,
    )


def _in_taxonomy(value: str, known: frozenset[str], kind: str) -> str:
    if value not in known:
        close = difflib.get_close_matches(value, sorted(known), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"{value!r} is not a {kind} in the fideslang {_fideslang_keys()[2]} taxonomy{hint}"
        )
    return value


def _fides_category(value: str) -> str:
    return _in_taxonomy(value, _fideslang_keys()[0], "data category")


def _fides_use(value: str) -> str:
    return _in_taxonomy(value, _fideslang_keys()[1], "data use")


def _email(value: str) -> str:
    # Django's validator rather than a regex of our own: the portal validates addresses with it too.
    try:
        validate_email(value)
    except DjangoValidationError:
        raise ValueError(f"{value!r} is not a valid email address") from None
    return value


def _phone(value: str) -> str:
    """A valid UK (or +-prefixed international) number, written in international format."""
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        raise ValueError(f"{value!r} is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"{value!r} is not a valid phone number (a digit missing or extra?)")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


FidesCategory = Annotated[str, AfterValidator(_fides_category)]
FidesUse = Annotated[str, AfterValidator(_fides_use)]
Email = Annotated[str, AfterValidator(_email)]
Phone = Annotated[str, AfterValidator(_phone)]

# ISO 8601 date durations only. Hand-written because neither pydantic (timedelta: a year becomes
# 365 days) nor the standard library keeps years and months, and "6 years" must mean 6 years.
_DURATION = re.compile(r"^P(?:(\d{1,4})Y)?(?:(\d{1,4})M)?(?:(\d{1,4})W)?(?:(\d{1,5})D)?$")
UNTIL_PURPOSE_ENDS = "until_purpose_ends"


@dataclass(frozen=True)
class Duration:
    """An ISO 8601 date duration (P6Y, P13M, P30D), kept in calendar units."""

    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0

    @classmethod
    def parse(cls, text: str) -> Duration:
        """Parse `PnYnMnWnD`; time parts (PT...) are refused: retention is counted in days."""
        match = _DURATION.match(text)
        if not match or text == "P":
            raise ValueError(
                f"{text!r} is not an ISO 8601 duration in years, months, weeks or days "
                "(e.g. P6Y, P13M, P30D)"
            )
        return cls(*(int(part or 0) for part in match.groups()))

    def at_least_years(self, years: int) -> bool:
        """True when this duration is at least `years` calendar years from any start date."""
        months = self.years * 12 + self.months
        missing = max(0, years * 12 - months)
        # Months short of the target must be covered by days, at the longest a month can be.
        need_days = (missing // 12) * 366 + (missing % 12) * 31
        return self.weeks * 7 + self.days >= need_days

    @property
    def approx_days(self) -> float:
        """Length in days, averaged over the calendar; for ordering steps, never for limits."""
        return self.years * 365.25 + self.months * 30.44 + self.weeks * 7 + self.days

    def __str__(self) -> str:
        parts = [
            f"{n} {unit}{'' if n == 1 else 's'}"
            for n, unit in (
                (self.years, "year"),
                (self.months, "month"),
                (self.weeks, "week"),
                (self.days, "day"),
            )
            if n
        ]
        return ", ".join(parts) or "immediately"


def _period(value: str) -> str:
    if value != UNTIL_PURPOSE_ENDS:
        Duration.parse(value)
    return value


def _duration(value: str) -> str:
    Duration.parse(value)
    return value


Period = Annotated[str, AfterValidator(_period)]
DurationText = Annotated[str, AfterValidator(_duration)]

# --- Closed vocabularies --------------------------------------------------------------------------


class LawfulBasis(StrEnum):
    """UK GDPR Art. 6(1) lawful bases."""

    consent = "consent"
    contract = "contract"
    legal_obligation = "legal_obligation"
    vital_interests = "vital_interests"
    public_task = "public_task"
    legitimate_interests = "legitimate_interests"

    @property
    def label(self) -> str:
        """How the basis is named to people, with its article."""
        return _BASIS_LABELS[self]


_BASIS_LABELS = {
    LawfulBasis.consent: "Your consent (Art. 6(1)(a))",
    LawfulBasis.contract: "Our contract with you (Art. 6(1)(b))",
    LawfulBasis.legal_obligation: "A legal obligation (Art. 6(1)(c))",
    LawfulBasis.vital_interests: "Vital interests (Art. 6(1)(d))",
    LawfulBasis.public_task: "A public task (Art. 6(1)(e))",
    LawfulBasis.legitimate_interests: "Our legitimate interests (Art. 6(1)(f))",
}


class Event(StrEnum):
    """What starts a retention clock, or ends a purpose."""

    collection = "collection"
    transaction = "transaction"
    last_activity = "last_activity"
    account_closure = "account_closure"
    consent_withdrawal = "consent_withdrawal"
    objection = "objection"
    request_closed = "request_closed"
    contest_end = "contest_end"
    survey_end = "survey_end"
    session_end = "session_end"

    @property
    def label(self) -> str:
        """The event in words."""
        return self.value.replace("_", " ")


class Action(StrEnum):
    """What happens to data when a retention period ends."""

    delete = "delete"
    anonymise = "anonymise"
    truncate_ip = "truncate_ip"

    @property
    def label(self) -> str:
        """The action in words."""
        return {"truncate_ip": "truncate the IP address"}.get(self.value, self.value)


class TransferMechanism(StrEnum):
    """The UK GDPR Chapter V ground for data leaving the UK (or none needed)."""

    not_restricted = "not_restricted"
    uk_adequacy = "uk_adequacy"
    uk_us_data_bridge = "uk_us_data_bridge"
    idta = "idta"
    uk_addendum = "uk_addendum"
    binding_corporate_rules = "binding_corporate_rules"

    @property
    def label(self) -> str:
        """The mechanism's usual name."""
        return _TRANSFER_LABELS[self]


_TRANSFER_LABELS = {
    TransferMechanism.not_restricted: "None needed: the data stays in the UK",
    TransferMechanism.uk_adequacy: "UK adequacy regulations (DPA 2018 s.17A)",
    TransferMechanism.uk_us_data_bridge: "UK-US data bridge (UK Extension to the EU-US DPF)",
    TransferMechanism.idta: "International Data Transfer Agreement (IDTA)",
    TransferMechanism.uk_addendum: "UK Addendum to the EU Standard Contractual Clauses",
    TransferMechanism.binding_corporate_rules: "Binding corporate rules (Art. 47)",
}


class RecipientRole(StrEnum):
    """Whether a recipient acts for us (Art. 28) or decides its own purposes."""

    processor = "processor"
    independent_controller = "independent_controller"


class RightKey(StrEnum):
    """The data subject rights a UK privacy notice must state (Art. 13(2)(b), (d))."""

    access = "access"
    rectification = "rectification"
    erasure = "erasure"
    restriction = "restriction"
    objection = "objection"
    portability = "portability"
    complaint = "complaint"


class Channel(StrEnum):
    """Ways a person reaches us (the policy's 'To contact us')."""

    personal_account = "personal_account"
    email = "email"
    phone = "phone"
    post = "post"


class CookieCategory(StrEnum):
    """Cookie groups a visitor can accept or refuse one by one (PECR reg. 6)."""

    strictly_necessary = "strictly_necessary"
    preferences = "preferences"
    analytics = "analytics"
    advertising = "advertising"
