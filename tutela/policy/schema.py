"""The policy file's schema: pydantic models for `policy/*.yaml` (format in docs/policy-file.md).

Every model forbids unknown keys and is frozen: a policy is read once and never changed in memory.
Rules that need more than one section (cross-references, retention of financial records) live in
`Policy.check_references`, which reports every problem with its path, not just the first.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from functools import cached_property
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from tutela.policy.vocabulary import (
    UNTIL_PURPOSE_ENDS,
    Action,
    Channel,
    CookieCategory,
    Duration,
    DurationText,
    Email,
    Event,
    FidesCategory,
    FidesUse,
    Key,
    Keys,
    LawfulBasis,
    Period,
    Phone,
    RecipientRole,
    RightKey,
    Text,
    TransferMechanism,
)

__all__ = [
    "Action",
    "Channel",
    "CookieCategory",
    "Duration",
    "Event",
    "LawfulBasis",
    "RecipientRole",
    "RightKey",
    "TransferMechanism",
]

# --- Sections -------------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Address(_Model):
    """A postal address."""

    street: Text
    city: Text
    postcode: Text
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]

    @property
    def one_line(self) -> str:
        """The address on one line, as a letter would carry it."""
        return f"{self.street}, {self.city} {self.postcode}"


class Controller(_Model):
    """Who decides why and how the data is processed (Art. 4(7))."""

    name: Text
    company_number: Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{8}$")]
    registered_address: Address
    jurisdiction: Text


class Contacts(_Model):
    """How people reach the controller about their data."""

    email: Email
    phone: Phone
    post: Address
    account_application: Text
    note: Text | None = None


class Regulator(_Model):
    """The supervisory authority people may complain to."""

    name: Text
    short_name: Text
    phone: Phone
    url: HttpUrl
    note: Text | None = None


class Guideline(_Model):
    """One of the promises summarised at the top of the policy."""

    key: Key
    text: Text


class Category(_Model):
    """A kind of personal data we hold, mapped to a fideslang data category."""

    key: Key
    fideslang: FidesCategory
    label: Text
    description: Text
    source: Text
    financial: bool = False
    note: Text | None = None


class Purpose(_Model):
    """Why we use data, on which lawful basis, and which categories it needs."""

    key: Key
    label: Text
    policy_text: Text
    lawful_basis: LawfulBasis
    legitimate_interest: Text | None = None
    categories: Keys
    fideslang_use: FidesUse | None = None
    direct_marketing: bool = False
    how_to_withdraw: tuple[Text, ...] = ()
    note: Text | None = None

    @model_validator(mode="after")
    def _basis_details(self) -> Purpose:
        is_li = self.lawful_basis is LawfulBasis.legitimate_interests
        if is_li and not self.legitimate_interest:
            raise ValueError("legitimate_interest: state the interest (Art. 13(1)(d))")
        if not is_li and self.legitimate_interest:
            raise ValueError("legitimate_interest is only for lawful_basis legitimate_interests")
        if self.lawful_basis is LawfulBasis.consent and not self.how_to_withdraw:
            raise ValueError("how_to_withdraw: consent must be as easy to withdraw (Art. 7(3))")
        return self


class RetentionStep(_Model):
    """A later step of a retention rule, counted from the same start event."""

    after: DurationText
    action: Action

    @property
    def duration(self) -> Duration:
        """The step's delay as a Duration."""
        return Duration.parse(self.after)


class RetentionRule(_Model):
    """How long some categories (or the data of some purposes) are kept, and what happens then."""

    key: Key
    categories: tuple[Key, ...] = ()
    purposes: tuple[Key, ...] = ()
    period: Period
    start: Event | None = None
    purpose_ends: Event | None = None
    action: Action
    then: tuple[RetentionStep, ...] = ()
    policy_text: Text | None = None
    reason: Text | None = None

    @model_validator(mode="after")
    def _consistent(self) -> RetentionRule:
        if not self.categories and not self.purposes:
            raise ValueError("name the categories and/or purposes this rule covers")
        if self.period == UNTIL_PURPOSE_ENDS:
            if self.purpose_ends is None or self.start is not None:
                raise ValueError(
                    "period until_purpose_ends needs purpose_ends (the event) and no start"
                )
        elif self.start is None or self.purpose_ends is not None:
            raise ValueError("a period of time needs start (the event) and no purpose_ends")
        before, action = self.duration, self.action
        for step in self.then:
            if action is Action.delete:
                raise ValueError("then: nothing can follow delete")
            if before is not None and step.duration.approx_days <= before.approx_days:
                raise ValueError(f"then: each step must come later ({step.after} is not later)")
            before, action = step.duration, step.action
        return self

    @property
    def duration(self) -> Duration | None:
        """The first period as a Duration; None for until_purpose_ends."""
        return None if self.period == UNTIL_PURPOSE_ENDS else Duration.parse(self.period)

    @property
    def summary(self) -> str:
        """The rule in words: "6 years after transaction: delete"."""
        if self.duration is None:
            head = f"until the purpose ends ({self.purpose_ends and self.purpose_ends.label})"
        elif self.duration == Duration():
            head = f"at {self.start and self.start.label}"
        else:
            head = f"{self.duration} after {self.start and self.start.label}"
        text = f"{head}: {self.action.label}"
        for step in self.then:
            text += f"; after {step.duration}: {step.action.label}"
        return text


class Link(_Model):
    """A labelled web address."""

    label: Text
    url: HttpUrl


class Processor(_Model):
    """A third party we share data with every day (Art. 28 processors and their peers)."""

    key: Key
    name: Text
    service: Text
    role: RecipientRole
    purposes: Keys
    categories: Keys
    location: Text
    transfer_mechanism: TransferMechanism
    policy_url: HttpUrl
    opt_out: tuple[Link, ...] = ()
    note: Text | None = None


class DisclosureGround(_Model):
    """When we may disclose data to someone other than a processor."""

    key: Key
    label: Text
    recipients: Text
    policy_text: Text
    lawful_basis: LawfulBasis
    note: Text | None = None


class InternationalTransfers(_Model):
    """Where data is stored and who may process it from abroad."""

    stored_in: Text
    processed_abroad_by: Text
    activities: tuple[Text, ...]
    safeguard: TransferMechanism
    policy_text: Text
    note: Text | None = None


class CookieGroup(_Model):
    """A category of cookies, what it is for and who sets it."""

    category: CookieCategory
    label: Text
    description: Text
    purposes: tuple[Key, ...] = ()
    processors: tuple[Key, ...] = ()
    consent_required: bool
    note: Text | None = None

    @model_validator(mode="after")
    def _pecr(self) -> CookieGroup:
        # PECR reg. 6: only strictly necessary storage is exempt from consent.
        necessary = self.category is CookieCategory.strictly_necessary
        if self.consent_required == necessary:
            raise ValueError(
                "consent_required must be false for strictly_necessary and true for every "
                "other category (PECR reg. 6)"
            )
        return self


class Right(_Model):
    """A data subject right, its deadline and how to use it."""

    key: RightKey
    label: Text
    article: Text
    # Art. 12(3) allows one month; 28 days is within one month whatever the start date.
    deadline_days: Annotated[int, Field(ge=1, le=28)] | None
    channels: tuple[Channel, ...] = ()
    how: Text
    policy_text: Text | None = None
    note: Text | None = None


class Policy(_Model):
    """A whole policy file: one version of one controller's privacy policy."""

    version: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z][0-9A-Za-z.\-]{0,31}$")]
    effective_date: date
    published_url: HttpUrl
    laws: Annotated[tuple[Text, ...], Field(min_length=1)]
    controller: Controller
    contacts: Contacts
    regulator: Regulator
    guidelines: tuple[Guideline, ...]
    categories: Annotated[tuple[Category, ...], Field(min_length=1)]
    purposes: Annotated[tuple[Purpose, ...], Field(min_length=1)]
    retention: Annotated[tuple[RetentionRule, ...], Field(min_length=1)]
    processors: tuple[Processor, ...]
    disclosure_grounds: tuple[DisclosureGround, ...]
    international_transfers: InternationalTransfers
    cookies: tuple[CookieGroup, ...]
    rights: tuple[Right, ...]
    security_measures: tuple[Text, ...]

    @model_validator(mode="after")
    def _references(self) -> Policy:
        problems = list(self.check_references())
        if problems:
            summary = "; ".join(f"{format_path(loc)}: {reason}" for loc, reason in problems)
            raise PydanticCustomError(
                "policy_reference", "{summary}", {"summary": summary, "problems": problems}
            )
        return self

    def check_references(self) -> Iterator[tuple[tuple[str | int, ...], str]]:
        """Every rule that spans sections, as (path, reason) pairs."""
        yield from self._unique_keys()
        categories = {c.key for c in self.categories}
        purposes = {p.key for p in self.purposes}
        processors = {p.key for p in self.processors}
        refs: list[tuple[str, Any, str, set[str], str]] = [
            ("purposes", self.purposes, "categories", categories, "category"),
            ("retention", self.retention, "categories", categories, "category"),
            ("retention", self.retention, "purposes", purposes, "purpose"),
            ("processors", self.processors, "categories", categories, "category"),
            ("processors", self.processors, "purposes", purposes, "purpose"),
            ("cookies", self.cookies, "purposes", purposes, "purpose"),
            ("cookies", self.cookies, "processors", processors, "processor"),
        ]
        for section, items, field, declared, kind in refs:
            for i, item in enumerate(items):
                for j, key in enumerate(getattr(item, field)):
                    if key not in declared:
                        yield (section, i, field, j), f"{key!r} is not a declared {kind}"
        used = {key for p in self.purposes for key in p.categories}
        for i, category in enumerate(self.categories):
            if category.key not in used:
                yield ("categories", i), f"{category.key!r} is used by no purpose"
            if not self.retention_for(category.key):
                yield ("categories", i), f"{category.key!r} has no retention rule"
        yield from self._financial_retention()
        missing = set(RightKey) - {r.key for r in self.rights}
        if missing:
            yield ("rights",), f"missing rights: {', '.join(sorted(missing))}"

    def _unique_keys(self) -> Iterator[tuple[tuple[str | int, ...], str]]:
        sections: dict[str, tuple[Any, ...]] = {
            "categories": self.categories,
            "purposes": self.purposes,
            "retention": self.retention,
            "processors": self.processors,
            "disclosure_grounds": self.disclosure_grounds,
            "rights": self.rights,
            "guidelines": self.guidelines,
        }
        for section, items in sections.items():
            seen: set[str] = set()
            for i, item in enumerate(items):
                if item.key in seen:
                    yield (section, i, "key"), f"duplicate key {str(item.key)!r}"
                seen.add(item.key)
        seen_cookies: set[str] = set()
        for i, group in enumerate(self.cookies):
            if group.category in seen_cookies:
                yield ("cookies", i, "category"), f"duplicate category {str(group.category)!r}"
            seen_cookies.add(group.category)

    def _financial_retention(self) -> Iterator[tuple[tuple[str | int, ...], str]]:
        # The policy: financial records "at least 6 years, as required by UK law".
        financial = {c.key for c in self.categories if c.financial}
        for i, rule in enumerate(self.retention):
            hit = sorted(financial & set(self.covered_categories(rule)))
            if not hit:
                continue
            durations = [rule.duration, *(step.duration for step in rule.then)]
            if any(d is None or not d.at_least_years(6) for d in durations):
                yield (
                    ("retention", i, "period"),
                    f"covers financial categories ({', '.join(hit)}): every step must be "
                    f"at least 6 years (P6Y), found {rule.period}"
                    + "".join(f", {s.after}" for s in rule.then),
                )

    def covered_categories(self, rule: RetentionRule) -> tuple[str, ...]:
        """The category keys a rule covers: its own list, else all its purposes' categories."""
        if rule.categories:
            return rule.categories
        return tuple(k for p in self.purposes if p.key in rule.purposes for k in p.categories)

    # --- Lookups (used through tutela.policy.api) ---------------------------------------------

    @cached_property
    def _by_key(self) -> dict[str, dict[str, Any]]:
        return {
            "category": {c.key: c for c in self.categories},
            "purpose": {p.key: p for p in self.purposes},
            "processor": {p.key: p for p in self.processors},
            "right": {str(r.key): r for r in self.rights},
        }

    def _get(self, kind: str, key: str) -> Any:
        try:
            return self._by_key[kind][key]
        except KeyError:
            raise LookupError(f"the policy declares no {kind} {key!r}") from None

    def category(self, key: str) -> Category:
        """The category with this key; LookupError if the policy does not declare it."""
        result: Category = self._get("category", key)
        return result

    def purpose(self, key: str) -> Purpose:
        """The purpose with this key; LookupError if undeclared."""
        result: Purpose = self._get("purpose", key)
        return result

    def processor(self, key: str) -> Processor:
        """The processor with this key; LookupError if undeclared."""
        result: Processor = self._get("processor", key)
        return result

    def right(self, key: str) -> Right:
        """The right with this key (access, erasure, ...); LookupError if undeclared."""
        result: Right = self._get("right", key)
        return result

    def categories_of(self, keys: tuple[str, ...]) -> tuple[Category, ...]:
        """The categories named by these keys, in the order given."""
        return tuple(self.category(key) for key in keys)

    def retention_for(self, category_key: str) -> tuple[RetentionRule, ...]:
        """The retention rules that cover a category, directly or through a purpose."""
        return tuple(r for r in self.retention if category_key in self.covered_categories(r))

    def purposes_using(self, category_key: str) -> tuple[Purpose, ...]:
        """The purposes that use a category."""
        return tuple(p for p in self.purposes if category_key in p.categories)


def format_path(loc: tuple[str | int, ...]) -> str:
    """("purposes", 3, "lawful_basis") -> "purposes[3].lawful_basis"."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "(top level)"
