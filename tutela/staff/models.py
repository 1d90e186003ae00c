"""Staff-side records: the console's permissions and the reasons behind staff corrections."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from tutela.customers.api import Customer, ProfileChange


class StaffConsole(models.Model):
    """Carries the staff console's custom permissions; it has no table and no rows.

    Django attaches permissions to a model, and these are about screens rather than about one of
    our tables, so an unmanaged model holds them (Django's documented pattern for "global"
    permissions). Only permissions a view checks today are declared here; later issues add theirs
    next to the models they protect.
    """

    class Meta:
        managed = False
        default_permissions = ()
        permissions = (
            ("view_customer_profile", "Look up customers and view their profile and history"),
            ("correct_customer_profile", "Correct a customer's profile for them (R15)"),
            ("view_security_log", "View a customer's sign-in security log"),
        )

    def __str__(self) -> str:
        return "staff console"


class StaffCorrection(models.Model):
    """Why a staff member corrected a customer's profile (R15), tied to the field changes made."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="staff_corrections"
    )
    changes = models.ManyToManyField(ProfileChange, related_name="staff_corrections")
    reason = models.TextField(max_length=500)
    # The label is what the history shows and outlives the staff account; the link (kept while
    # the account exists) tells two staff members with the same first name apart in a review.
    actor_label = models.CharField(max_length=120)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="staff_corrections_made",
    )
    corrected_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["-corrected_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["customer", "-corrected_at"])]

    def __str__(self) -> str:
        return f"correction of customer #{self.customer_id} at {self.corrected_at:%Y-%m-%d %H:%M}"
