"""Writes for customer profiles. Every change is recorded field by field (R15)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from tutela.accounts.api import User
from tutela.audit.api import Actor, access_record
from tutela.customers.models import PROFILE_FIELDS, Customer, ProfileChange
from tutela.policy.api import catalog_entry_for


def _profile_values(details: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(details) - set(PROFILE_FIELDS)
    if unknown:
        # R1: nothing undeclared is collected; a caller passing extra fields is a bug.
        raise ValueError(f"not profile fields: {', '.join(sorted(unknown))}")
    return {name: details[name] for name in PROFILE_FIELDS if name in details}


def customer_register(*, user: User, details: Mapping[str, Any]) -> Customer:
    """Create the profile for a freshly signed-up identity (called from the sign-up form)."""
    with transaction.atomic():
        customer = Customer(user=user, subject_id=user.subject_id, **_profile_values(details))
        customer.full_clean(exclude=["user"])
        customer.save()
        return customer


def customer_signup(
    *, email: str, password: str, details: Mapping[str, Any], email_verified: bool
) -> Customer:
    """Create identity and profile in one go (demo data, staff, tests)."""
    with transaction.atomic():
        user = User.objects.create_user(
            email=email,
            password=password,
            email_verified_at=timezone.now() if email_verified else None,
        )
        return customer_register(user=user, details=details)


def customer_update(
    *,
    customer: Customer,
    changes: Mapping[str, Any],
    channel: ProfileChange.Channel,
    actor: Actor,
    request: HttpRequest | None = None,
) -> list[ProfileChange]:
    """Apply a rectification and record each changed field with old and new value.

    Side effects: updates the profile row, appends one ProfileChange per field whose value
    actually changed (by the actor's label: "you", or a staff member's first name and role),
    and one access-log event naming the changed categories (R7), all in one transaction;
    unchanged fields are ignored, so saving an untouched form records nothing.
    """
    values = _profile_values(changes)
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        now = timezone.now()
        history: list[ProfileChange] = []
        for name, new in values.items():
            old = getattr(locked, name)
            if str(old) == str(new):
                continue
            setattr(locked, name, new)
            history.append(
                ProfileChange(
                    customer=locked,
                    subject_id=locked.subject_id,
                    field=name,
                    old_value=str(old),
                    new_value=str(new),
                    channel=channel,
                    actor_label=actor.label,
                    changed_at=now,
                )
            )
        if not history:
            return []
        locked.updated_at = now
        locked.full_clean(exclude=["user"])
        locked.save()
        ProfileChange.objects.bulk_create(history)
        entry = catalog_entry_for(Customer)
        access_record(
            actor=actor,
            subject=locked.subject_id,
            categories=[c for change in history for c in entry.field_categories(change.field)],
            purpose=entry.purpose,
            action="change",
            request=request,
            detail=f"{channel.label}: {', '.join(change.field for change in history)}",
        )
        customer.refresh_from_db()
        return history
