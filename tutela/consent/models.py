"""Consent and marketing email: the append-only consent ledger, newsletter subscribers and the
suppression list (R20-R24). The catalog entries are in privacy.py."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar, NoReturn

from django.db import models
from django.utils import timezone

from tutela.audit.api import AppendOnlyError
from tutela.crypto.api import BlindIndexField, EncryptedTextField, KeyClass
from tutela.customers.api import Customer
from tutela.policy.api import purpose as policy_purpose

# The label of the subscriber address's blind index, and of the suppression list's keyed hash:
# two labels, so neither column can be matched against the other or against the sign-in email.
SUBSCRIBER_EMAIL_INDEX = "consent.subscriber_email"
SUPPRESSION_INDEX = "consent.suppressed_email"


class Channel(models.TextChoices):
    """How a consent was given or withdrawn (TS 27560 collection method)."""

    WEB_FORM = "web_form", "Web form"
    EMAIL_LINK = "email_link", "Link in an email"
    ACCOUNT_PAGE = "account_page", "Personal account"
    STAFF_PHONE = "staff_phone", "Phone call to our staff"
    API = "api", "API"


class LedgerQuerySet(models.QuerySet["ConsentRecord"]):
    """Reads and inserts; every update or delete through the ORM is refused."""

    def _refuse(self, what: str) -> NoReturn:
        raise AppendOnlyError(
            f"{self.model._meta.label} is append-only: {what} refused (a change of mind is a new "
            "record, written by tutela.consent.services.consent_record)"
        )

    def update(self, **kwargs: Any) -> NoReturn:
        """Refused: the ledger is append-only."""
        self._refuse("update()")

    def delete(self) -> NoReturn:
        """Refused: the ledger is append-only."""
        self._refuse("delete()")

    def _raw_delete(self, using: Any) -> NoReturn:  # the collector's fast path for cascades
        """Refused: the ledger is append-only."""
        self._refuse("delete()")

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Refused: the ledger is append-only."""
        self._refuse("bulk_update()")

    def _expire(self) -> int:
        """Delete these rows: only for consent_records_expire, when retention has ended."""
        # One DELETE statement; the ledger has no relations to cascade to.
        return models.QuerySet._raw_delete(self, self.db)


class ConsentRecord(models.Model):
    """One consent given or withdrawn, as it happened; never changed, never deleted by the app.

    Field names follow ISO/IEC TS 27560:2023 (consent record information structure) where they
    fit; the receipt (selectors.consent_receipt) adds the record-level fields that are the same
    for every row (schema version, controller, lawful basis, consent type "explicit", language):

        record_id          -> record_id (the record's identifier, shown on receipts)
        pii_principal_id   -> pii_principal_id (pseudonymous subject id, never a name or email)
        purpose            -> purpose id (a key of the policy file's purposes)
        event_type         -> event type: consent_given / consent_withdrawn
        event_time         -> event time
        collection_method  -> collection method (the channel: web form, email link, ...)
        notice_version     -> privacy notice: the policy version in force
        notice_sha256      -> privacy notice: SHA-256 of the exact consent text shown
        event_by           -> event by: the person, or the staff member who recorded it
        evidence           -> (Tutela's) what proves it: the double opt-in, the call taken

    The current state is never stored: it is the latest record per subject and purpose
    (selectors.consent_state). The database refuses UPDATE too (trigger in migration 0001).
    """

    class EventType(models.TextChoices):
        GIVEN = "consent_given", "Consent given"
        WITHDRAWN = "consent_withdrawn", "Consent withdrawn"

    # Insertion order is the ledger's order: the latest row per subject and purpose wins.
    id = models.BigAutoField(primary_key=True)
    record_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    pii_principal_id = models.UUIDField("subject", editable=False)
    purpose = models.CharField(max_length=64)
    event_type = models.CharField(max_length=20, choices=EventType.choices)
    event_time = models.DateTimeField(default=timezone.now)
    collection_method = models.CharField("channel", max_length=16, choices=Channel.choices)
    notice_version = models.CharField("policy version", max_length=32)
    notice_sha256 = models.CharField("SHA-256 of the text shown", max_length=64)
    # A label, not a foreign key: the record must outlive the staff member's account.
    event_by = models.CharField("recorded by", max_length=120)
    evidence = models.CharField(max_length=300)

    objects = LedgerQuerySet.as_manager()

    class Meta:
        ordering: ClassVar[list[str]] = ["id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["pii_principal_id", "purpose", "-id"], name="consent_latest"),
            models.Index(fields=["purpose", "event_type"], name="consent_purpose_event"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.purpose} by {self.pii_principal_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Insert once; saving an existing row is refused (a change of mind is a new record)."""
        if not self._state.adding:
            LedgerQuerySet(self.__class__)._refuse("save() of an existing row")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Refused: the ledger is append-only."""
        LedgerQuerySet(self.__class__)._refuse("delete()")

    @property
    def is_given(self) -> bool:
        """Whether this event gave consent (rather than withdrew it)."""
        return self.event_type == self.EventType.GIVEN

    @property
    def purpose_label(self) -> str:
        """The purpose as the policy file names it (its key if the file no longer has it)."""
        try:
            return policy_purpose(self.purpose).label
        except LookupError:
            return self.purpose


class Subscriber(models.Model):
    """Someone the newsletter can be sent to: a customer (their account address) or a visitor
    without an account (their own address, encrypted, and a subject id of their own).

    Whether they receive it is never stored here: that is the ledger's projection. A pending
    double opt-in (asked, not yet confirmed) is kept in the pending_* fields and is not consent.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Null for a visitor; a customer's newsletter goes to their current sign-in address.
    customer = models.OneToOneField(
        Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="subscriber"
    )
    # The customer's subject id, or a random one for a visitor, whose address is encrypted under
    # the subject's marketing key. None for a customer (their sign-in address is used) and once a
    # visitor withdraws: the address is needed only while they want the newsletter.
    subject_id = models.UUIDField(unique=True, editable=False)
    email = EncryptedTextField(
        "email address",
        max_length=254,
        null=True,
        blank=True,
        key_class=KeyClass.MARKETING,
        blind_index="email_bidx",
    )
    email_bidx = BlindIndexField(source="email", label=SUBSCRIBER_EMAIL_INDEX, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The double opt-in asked for and not yet confirmed: when (also the one-time link's nonce),
    # how, and which text under which policy version the person agreed to.
    pending_since = models.DateTimeField(null=True, blank=True)
    pending_channel = models.CharField(max_length=16, choices=Channel.choices, blank=True)
    pending_notice_version = models.CharField(max_length=32, blank=True)
    pending_notice_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        permissions = (
            ("record_phone_withdrawal", "Can record an unsubscribe asked for on the phone"),
        )

    def __str__(self) -> str:
        return f"subscriber {self.pk}"

    @property
    def is_visitor(self) -> bool:
        """Subscribed without an account."""
        return self.customer_id is None


class SuppressedAddress(models.Model):
    """An address that must never be mailed or subscribed again, kept as a keyed hash only.

    The hash is `blind_index(SUPPRESSION_INDEX, email)`: one-way, with a key kept apart from the
    database, so the list can be checked without holding any address it names.
    """

    class Reason(models.TextChoices):
        ERASURE = "erasure", "The person's data was erased"
        REQUEST = "request", "The person asked never to be emailed again"
        BOUNCE = "bounce", "The address does not exist (hard bounce)"
        COMPLAINT = "complaint", "The person reported our email as spam"

    email_hash = models.CharField(max_length=64, unique=True)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    # The subject whose address it was, when known, so their access export shows the entry;
    # erasure unlinks it (privacy.py) and keeps the hash.
    subject_id = models.UUIDField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    # A label, not a foreign key: the entry must outlive the staff member's account.
    created_by = models.CharField(max_length=120)

    def __str__(self) -> str:
        return f"suppressed address ({self.reason})"


class CookieChoiceQuerySet(models.QuerySet["CookieChoice"]):
    """Reads and inserts; every update or delete through the ORM is refused."""

    def _refuse(self, what: str) -> NoReturn:
        raise AppendOnlyError(
            f"{self.model._meta.label} is append-only: {what} refused (a new choice is a new "
            "record, written by tutela.consent.services.cookie_choice_record)"
        )

    def update(self, **kwargs: Any) -> NoReturn:
        """Refused: cookie choices are append-only."""
        self._refuse("update()")

    def delete(self) -> NoReturn:
        """Refused: cookie choices are append-only."""
        self._refuse("delete()")

    def _raw_delete(self, using: Any) -> NoReturn:
        """Refused: cookie choices are append-only."""
        self._refuse("delete()")

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Refused: cookie choices are append-only."""
        self._refuse("bulk_update()")


class CookieChoice(models.Model):
    """One answer to the cookie banner or the cookie settings page, as it was given (R28).

    Anonymous: the visitor is a random id kept in their strictly necessary choice cookie, never
    an account, an IP address or a user agent; a signed-in customer's choice is also written to
    the consent ledger under the policy's consent purposes (services.cookie_choice_record).
    The group fields say what took effect: advertising is False whenever the browser sent
    Global Privacy Control, whatever button was pressed (`gpc` says it did). The database
    refuses UPDATE too (trigger in migration 0002).
    """

    class Method(models.TextChoices):
        ACCEPT_ALL = "accept_all", "Accept all"
        REJECT_ALL = "reject_all", "Reject all"
        CHOOSE = "choose", "Chose group by group"

    id = models.BigAutoField(primary_key=True)
    record_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    visitor_id = models.UUIDField("visitor", editable=False)
    method = models.CharField(max_length=16, choices=Method.choices)
    preferences = models.BooleanField()
    analytics = models.BooleanField()
    advertising = models.BooleanField()
    gpc = models.BooleanField("Global Privacy Control signal")
    notice_version = models.CharField("policy version", max_length=32)
    notice_sha256 = models.CharField("SHA-256 of the cookie notice shown", max_length=64)
    event_time = models.DateTimeField(default=timezone.now)

    objects = CookieChoiceQuerySet.as_manager()

    class Meta:
        ordering: ClassVar[list[str]] = ["id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["visitor_id", "-id"], name="consent_cookie_visitor"),
        ]

    def __str__(self) -> str:
        return f"cookie choice {self.record_id} ({self.method})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Insert once; saving an existing row is refused (a new choice is a new record)."""
        if not self._state.adding:
            CookieChoiceQuerySet(self.__class__)._refuse("save() of an existing row")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Refused: cookie choices are append-only."""
        CookieChoiceQuerySet(self.__class__)._refuse("delete()")

    @property
    def allowed_groups(self) -> frozenset[str]:
        """The cookie groups this choice allowed (strictly necessary is never a choice)."""
        flags = {
            "preferences": self.preferences,
            "analytics": self.analytics,
            "advertising": self.advertising,
        }
        return frozenset(group for group, allowed in flags.items() if allowed)
