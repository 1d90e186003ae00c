"""What people tell us outside an order: problem reports, questionnaire answers, contest entries.

Everything a person writes here is encrypted under their subject's support key (R6), so erasing
the person (crypto-shredding) reaches it; the catalog entries are in privacy.py.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any, ClassVar

from django.core.validators import EmailValidator
from django.db import models
from django.utils import timezone

from tutela.crypto.api import EncryptedJSONField, EncryptedTextField, KeyClass
from tutela.customers.api import Customer, validate_plain_text


def _support_text(
    label: str, *, validators: tuple[Any, ...] = (), **options: Any
) -> EncryptedTextField:
    """Free text a person gives us, encrypted under the subject's support key (R6, R40)."""
    return EncryptedTextField(
        label,
        key_class=KeyClass.SUPPORT,
        validators=[validate_plain_text, *validators],
        **options,
    )


class ProblemReport(models.Model):
    """A problem with our product or site, reported by a customer or an anonymous visitor."""

    class About(models.TextChoices):
        SITE = "site", "This website"
        PRODUCT = "product", "One of our products or services"

    # A UUID assigned in Python: the encrypted values are bound to their row id before insert.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Null for an anonymous report; kept with the customer so their list and erasure find it.
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="problem_reports"
    )
    # The customer's subject id, or for an anonymous report a random subject id of its own.
    # Why not leave anonymous text unencrypted: "anonymous" means not linked to an account, yet
    # the text (and an optional reply address) may still name or describe a person. A subject of
    # its own gives the report its own data key, so its text is encrypted like everyone's and can
    # be shredded on its own (retention, or a request from the person who wrote it), without
    # linking it to any account.
    subject_id = models.UUIDField(editable=False, db_index=True)
    about = models.CharField("what the problem is with", max_length=16, choices=About.choices)
    summary = _support_text("summary", max_length=150)
    details = _support_text("what happened", max_length=4000)
    # Only anonymous reports ask for this; a customer's own address is on their account.
    reply_email = _support_text(
        "email address for our reply",
        max_length=254,
        blank=True,
        validators=(EmailValidator("Enter a valid email address, or leave it empty."),),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["customer", "-created_at"])]

    def __str__(self) -> str:
        return f"problem report {self.pk}"

    @property
    def is_anonymous(self) -> bool:
        """Sent without signing in."""
        return self.customer_id is None


class Questionnaire(models.Model):
    """A research questionnaire written by marketing; every question in it is optional."""

    title = models.CharField(max_length=150, validators=[validate_plain_text])
    intro = models.TextField(max_length=1000, blank=True, validators=[validate_plain_text])
    is_open = models.BooleanField(default=True)
    # A label, not a foreign key: the record must outlive the staff member's account.
    created_by_label = models.CharField(max_length=120)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    """One question of a questionnaire: free text, or one choice from a list."""

    class Kind(models.TextChoices):
        TEXT = "text", "Free text"
        CHOICE = "choice", "One choice from a list"

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="questions"
    )
    position = models.PositiveSmallIntegerField()
    prompt = models.CharField(max_length=300, validators=[validate_plain_text])
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # The options of a choice question, in order; empty for a text question.
    options = models.JSONField(default=list, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["questionnaire", "position"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["questionnaire", "position"], name="feedback_question_position"
            )
        ]

    def __str__(self) -> str:
        return self.prompt


class QuestionnaireResponse(models.Model):
    """A customer's answers to one questionnaire: only the questions they chose to answer."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="responses"
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="questionnaire_responses"
    )
    subject_id = models.UUIDField(editable=False, db_index=True)
    # {question id (as text): answer}; a question left unanswered is simply absent.
    answers = EncryptedJSONField(key_class=KeyClass.SUPPORT)
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["-submitted_at", "-id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["questionnaire", "customer"], name="feedback_one_response_each"
            )
        ]

    def __str__(self) -> str:
        return f"response {self.pk} to questionnaire #{self.questionnaire_id}"


class Contest(models.Model):
    """A contest or promotion we sponsor, written by marketing, with the rules entrants accept."""

    title = models.CharField(max_length=150, validators=[validate_plain_text])
    rules = models.TextField(max_length=5000, validators=[validate_plain_text])
    # What every entrant answers (a tie-breaker, a short answer); their answer is the entry.
    question = models.CharField(max_length=300, validators=[validate_plain_text])
    closes_at = models.DateTimeField()
    # A label, not a foreign key: the record must outlive the staff member's account.
    created_by_label = models.CharField(max_length=120)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["-closes_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        """Entries are accepted until the closing time."""
        return timezone.now() < self.closes_at

    @property
    def rules_hash(self) -> str:
        """SHA-256 of the rules text, kept with each entry as evidence of what was accepted."""
        return hashlib.sha256(self.rules.encode("utf-8")).hexdigest()


class ContestEntry(models.Model):
    """A customer's entry to a contest, with when they accepted which text of its rules."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    contest = models.ForeignKey(Contest, on_delete=models.PROTECT, related_name="entries")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contest_entries")
    subject_id = models.UUIDField(editable=False, db_index=True)
    answer = _support_text("your answer", max_length=1000)
    rules_accepted_at = models.DateTimeField()
    rules_sha256 = models.CharField(max_length=64)
    entered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["-entered_at", "-id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["contest", "customer"], name="feedback_one_entry_each")
        ]

    def __str__(self) -> str:
        return f"entry {self.pk} to contest #{self.contest_id}"
