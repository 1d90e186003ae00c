"""Identities that can sign in, and the security log of what happened at sign-in."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone

from tutela.crypto.api import BlindIndexField, EncryptedTextField, KeyClass


class UserManager(BaseUserManager["User"]):
    """Creates users keyed by email (there are no usernames)."""

    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        """A customer or staff identity with a normalised email."""
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        """Used only by `createsuperuser`; Tutela has no Django admin site."""
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who can sign in: a customer (profile in `customers`) or a staff member."""

    # The pseudonymous id under which every store files this person's data: the catalog walks
    # by it, the access log names it, and data keys are issued per subject (DESIGN.md).
    subject_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Encrypted like every personal field; sign-in and uniqueness go through the blind index,
    # so `User.objects.filter(email=typed)` (Django's and allauth's look-ups) compares keyed
    # hashes only. allauth's own EmailAddress table is left empty (see adapter.py).
    email = EncryptedTextField(
        "email address",
        max_length=254,
        key_class=KeyClass.ACCOUNT,
        row_field="subject_id",
        blind_index="email_bidx",
    )
    email_bidx = BlindIndexField(source="email", label="accounts.email", unique=True)
    # Set when the person followed the link we emailed to the address (R4); until then the
    # account cannot sign in.
    email_verified_at = models.DateTimeField(null=True, blank=True)
    # A new address the person asked for, waiting for its confirmation link to be followed.
    pending_email = EncryptedTextField(
        max_length=254, null=True, blank=True, key_class=KeyClass.ACCOUNT, row_field="subject_id"
    )
    # Staff are shown to customers by role and first name (never their email).
    display_name = models.CharField(max_length=80, blank=True)
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    def __str__(self) -> str:
        return self.display_name or f"user #{self.pk}"

    @property
    def email_verified(self) -> bool:
        """Whether the person proved they read mail at the address they sign in with."""
        return self.email_verified_at is not None


class SecurityEvent(models.Model):
    """One sign-in related event with the client IP (R2: security and fraud prevention)."""

    class Kind(models.TextChoices):
        SIGN_IN = "sign_in", "Signed in"
        SIGN_IN_FAILED = "sign_in_failed", "Failed sign-in"
        SIGN_UP = "sign_up", "Signed up"
        SIGN_OUT = "sign_out", "Signed out"
        PASSWORD_RESET_REQUESTED = "password_reset_requested", "Password reset requested"
        PASSWORD_RESET_DONE = "password_reset_done", "Password reset"
        PASSWORD_CHANGED = "password_changed", "Password changed"
        SIGN_IN_REFUSED = "sign_in_refused", "Sign-in refused (wrong area)"
        EMAIL_VERIFIED = "email_verified", "Email address confirmed"
        EMAIL_CHANGED = "email_changed", "Sign-in email changed"

    class Realm(models.TextChoices):
        CUSTOMER = "customer", "Customer portal"
        STAFF = "staff", "Staff console"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    realm = models.CharField(max_length=16, choices=Realm.choices, default=Realm.CUSTOMER)
    # Null for a failed sign-in against an unknown address; we do not store the typed address.
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="security_events"
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    # The purpose is fixed by the policy file; stored so an export can state it per row.
    purpose = models.CharField(max_length=64, default="security_fraud_prevention", editable=False)
    request_id = models.CharField(max_length=64, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-occurred_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["user", "-occurred_at"]),
            models.Index(fields=["ip_address", "-occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} from {self.ip_address} at {self.occurred_at:%Y-%m-%d %H:%M}"


def user_display(user: User) -> str:
    """How allauth names the signed-in person in its messages ("Signed in as ...")."""
    return user.display_name or user.email
