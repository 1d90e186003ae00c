"""The customer's personal account: what the policy says we collect at registration (R1)."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from tutela.crypto.api import BlindIndexField, EncryptedTextField, KeyClass
from tutela.customers.validators import validate_country_code, validate_plain_text

# The profile fields a customer may see and edit, in display order (R1, R15).
PROFILE_FIELDS: tuple[str, ...] = (
    "full_name",
    "company_name",
    "field_of_activity",
    "address_line1",
    "address_line2",
    "city",
    "postcode",
    "country",
    "phone",
    "phone_alt",
)


def _account_text(label: str, *, plain: bool = True, **options: Any) -> EncryptedTextField:
    """A profile field, encrypted under the subject's account key (R6)."""
    validators = list(options.pop("validators", []))
    if plain:
        validators.append(validate_plain_text)
    return EncryptedTextField(
        label,
        key_class=KeyClass.ACCOUNT,
        row_field="subject_id",
        validators=validators,
        **options,
    )


class Customer(models.Model):
    """A registered customer: name, company, field of activity, address and phones."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="customer"
    )
    # The identity's subject id, copied so encrypted fields find their data key without a join;
    # it is also the row id the ciphertexts are bound to (one profile per subject).
    subject_id = models.UUIDField(unique=True, editable=False)
    full_name = _account_text("your name", max_length=150)
    # Staff look a customer up by exact name through this keyed hash, never the plaintext.
    full_name_bidx = BlindIndexField(source="full_name", label="customers.full_name")
    company_name = _account_text("company name", max_length=150, blank=True)
    field_of_activity = _account_text("field of activity", max_length=100, blank=True)
    address_line1 = _account_text("address", max_length=150)
    address_line2 = _account_text("address line 2", max_length=150, blank=True)
    city = _account_text("town or city", max_length=80)
    postcode = _account_text("postcode", max_length=16)
    # An ISO 3166 code; the forms offer django-countries' list.
    country = _account_text(
        "country", max_length=2, default="GB", validators=[validate_country_code]
    )
    phone = _account_text(
        "phone",
        max_length=32,
        plain=False,
        help_text="For example 020 8068 4673, or +44 20 8068 4673 from abroad.",
    )
    phone_alt = _account_text("other phone", max_length=32, blank=True, plain=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"customer #{self.pk}"


class ProfileChange(models.Model):
    """One field's change to a profile, kept as the rectification history (R15)."""

    class Channel(models.TextChoices):
        SELF_SERVICE = "self_service", "Personal account"
        STAFF = "staff", "Staff correction"
        REGISTRATION = "registration", "Registration"

    # A UUID assigned in Python: the encrypted values are bound to their row id before insert.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="changes")
    subject_id = models.UUIDField(editable=False, db_index=True)
    field = models.CharField(max_length=40)
    old_value = EncryptedTextField(max_length=200, blank=True, key_class=KeyClass.ACCOUNT)
    new_value = EncryptedTextField(max_length=200, blank=True, key_class=KeyClass.ACCOUNT)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    # A label, not a foreign key: the history must outlive a staff member's account.
    actor_label = models.CharField(max_length=120)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["-changed_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["customer", "-changed_at"])]

    def __str__(self) -> str:
        return f"{self.field} changed at {self.changed_at:%Y-%m-%d %H:%M}"


def profile_field(name: str) -> models.Field:
    """The model field behind one of PROFILE_FIELDS (for labels and validators)."""
    field = Customer._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{name} is not a concrete profile field")
    return field
