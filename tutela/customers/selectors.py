"""Reads for customer profiles; the trust boundary is the signed-in user."""

from __future__ import annotations

from django.db.models import QuerySet

from tutela.accounts.api import User
from tutela.customers.models import Customer, ProfileChange


def customer_for_user(user: User) -> Customer | None:
    """The signed-in user's own profile (None for staff and half-registered identities)."""
    return Customer.objects.filter(user=user).first()


def profile_history(customer: Customer, *, limit: int = 50) -> QuerySet[ProfileChange]:
    """The customer's own rectification history, newest first."""
    return ProfileChange.objects.filter(customer=customer).order_by("-changed_at", "-id")[:limit]
