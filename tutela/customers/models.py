"""The customer's personal account: what the policy says we collect at registration (R1)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_countries.fields import CountryField

from tutela.customers.validators import validate_plain_text

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


class Customer(models.Model):
    """A registered customer: name, company, field of activity, address and phones."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="customer"
    )
    full_name = models.CharField("your name", max_length=150, validators=[validate_plain_text])
    company_name = models.CharField(
        "company name", max_length=150, blank=True, validators=[validate_plain_text]
    )
    field_of_activity = models.CharField(
        "field of activity", max_length=100, blank=True, validators=[validate_plain_text]
    )
    address_line1 = models.CharField("address", max_length=150, validators=[validate_plain_text])
    address_line2 = models.CharField(
        "address line 2", max_length=150, blank=True, validators=[validate_plain_text]
    )
    city = models.CharField("town or city", max_length=80, validators=[validate_plain_text])
    postcode = models.CharField("postcode", max_length=16, validators=[validate_plain_text])
    country = CountryField(default="GB")
    phone = models.CharField(
        "phone",
        max_length=32,
        help_text="For example 020 8068 4673, or +44 20 8068 4673 from abroad.",
    )
    phone_alt = models.CharField("other phone", max_length=32, blank=True)
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

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="changes")
    field = models.CharField(max_length=40)
    old_value = models.CharField(max_length=200, blank=True)
    new_value = models.CharField(max_length=200, blank=True)
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
