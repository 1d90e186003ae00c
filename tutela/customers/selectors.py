"""Reads for customer profiles; the trust boundary is the signed-in user."""

from __future__ import annotations

from django.db.models import QuerySet
from django_countries import countries

from tutela.accounts.api import User
from tutela.crypto.api import blind_index, data_keys_prefetch
from tutela.customers.models import PROFILE_FIELDS, Customer, ProfileChange, profile_field


def customer_for_user(user: User) -> Customer | None:
    """The signed-in user's own profile (None for staff and half-registered identities)."""
    return Customer.objects.filter(user=user).first()


def profile_history(customer: Customer, *, limit: int = 50) -> list[ProfileChange]:
    """The customer's rectification history, newest first, with its data key opened once."""
    changes = list(
        ProfileChange.objects.filter(customer=customer).order_by("-changed_at", "-id")[:limit]
    )
    data_keys_prefetch(changes)
    return changes


def customers_named(name: str) -> QuerySet[Customer]:
    """Customers whose full name is exactly `name` (case-insensitive), found by blind index.

    Names are encrypted, so a partial match is impossible by design; whole names only.
    """
    return Customer.objects.filter(full_name_bidx=blind_index("customers.full_name", name))


def customer_for_email(email: str) -> Customer | None:
    """The customer who signs in with `email` (case-insensitive), or None.

    Used to file incoming correspondence against its sender; the lookup goes through the
    sign-in email's blind index, so no plaintext address is compared in the database.
    """
    return Customer.objects.filter(user__email=email).first()


def profile_rows(customer: Customer) -> list[tuple[str, str]]:
    """(label, value) pairs in display order, with the country's name rather than its code."""
    rows = []
    for name in PROFILE_FIELDS:
        value = getattr(customer, name)
        shown = (countries.name(value) or value) if name == "country" else value
        rows.append((str(profile_field(name).verbose_name).capitalize(), str(shown or "")))
    return rows
