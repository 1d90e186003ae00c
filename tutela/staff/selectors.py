"""Staff reads. Every staff read of a customer's personal data goes through this module.

Each selector below that returns personal data calls `_record_read` once, which appends to the
tamper-evident access log (R7) in the request's transaction: who (role and first name), whose
data (subject id), which categories (from the catalog), why (the purpose), from where.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

from tutela.accounts.api import SecurityEvent, User, security_events_for_user
from tutela.audit.api import Actor, access_record, access_record_many
from tutela.crypto.api import data_keys_prefetch
from tutela.customers.api import Customer, ProfileChange, customers_named, profile_history
from tutela.policy.api import catalog_entry_for
from tutela.staff.models import StaffCorrection
from tutela.staff.roles import VIEW_CUSTOMER_PROFILE, VIEW_SECURITY_LOG, Role

# Why staff read a customer's data: to answer their requests ("For targeted responses to
# requests"); a security log is read to detect and prevent attacks and fraud.
READ_PURPOSE = "respond_to_requests"
SECURITY_PURPOSE = "security_fraud_prevention"


@dataclass(frozen=True)
class StaffMember:
    """A signed-in staff identity with its one role and that role's permissions."""

    user: User
    role: Role
    permissions: frozenset[str]
    # The request the member is acting in, for the access log's request id and IP.
    request: HttpRequest | None = None

    def can(self, permission: str) -> bool:
        """Whether the role grants `permission` ("app_label.codename")."""
        return permission in self.permissions

    @property
    def label(self) -> str:
        """How histories and the access log name this person: "Dana (privacy officer)"."""
        return self.audit_actor.label

    @property
    def audit_actor(self) -> Actor:
        """This member as the access log names them to customers: first name and role."""
        return Actor.staff(
            id=self.user.pk,
            first_name=self.user.display_name or f"#{self.user.pk}",
            role=self.role.label.lower(),
        )


def staff_has_second_factor(user: User) -> bool:
    """Whether the staff member has enrolled a passkey or an authenticator app (R5)."""
    return Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()


def staff_member_for_user(user: User) -> StaffMember | None:
    """The user as a staff member, or None unless active staff with exactly one role.

    Permissions come from the role's group only: `is_superuser` and per-user permissions are
    ignored on purpose, so nothing but the role widens what a staff member may do (R8).
    """
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return None
    roles = list(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
    if len(roles) != 1:
        return None
    rows = Permission.objects.filter(group__name=roles[0]).values_list(
        "content_type__app_label", "codename"
    )
    return StaffMember(
        user=user,
        role=Role(roles[0]),
        permissions=frozenset(f"{app_label}.{codename}" for app_label, codename in rows),
    )


def _require(actor: StaffMember, permission: str) -> None:
    # The views check too; checking again here keeps a future caller (an API endpoint, a task)
    # from reading personal data by forgetting the decorator.
    if not actor.can(permission):
        raise PermissionDenied(f"The {actor.role.label} role may not do this.")


def _categories(*models: type[Model], extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The policy categories a page shows, from the catalog entries of the models it reads."""
    found: list[str] = []
    for model in models:
        found.extend(catalog_entry_for(model).categories)
    return tuple(dict.fromkeys([*found, *extra]))


def record_page_read(
    actor: StaffMember,
    rows: Iterable[Model],
    what: str,
    *,
    fields: tuple[str, ...] = (),
    categories: tuple[str, ...] = (),
) -> None:
    """A list page of catalogued rows was shown: open their data keys in one query (no query
    per row) and log one read per subject, for the rows' catalogued purpose.

    The categories are those of the personal `fields` the page shows (every category of the
    model when none are named), unless `categories` gives them outright.
    """
    rows = list(rows)
    if not rows:
        return
    data_keys_prefetch(rows)
    entry = catalog_entry_for(type(rows[0]))
    if not categories:
        shown = [entry.field_categories(name) for name in fields]
        categories = tuple(dict.fromkeys(c for cats in shown for c in cats)) or entry.categories
    record_read(
        actor,
        [row.subject_id for row in rows],  # type: ignore[attr-defined]
        what,
        categories=categories,
        purpose=entry.purpose,
    )


def record_read(
    actor: StaffMember,
    subjects: Iterable[uuid.UUID],
    what: str,
    *,
    categories: tuple[str, ...],
    purpose: str = READ_PURPOSE,
) -> None:
    """Append one access-log event per subject whose data a staff page shows (R7)."""
    unique = list(dict.fromkeys(subjects))
    if len(unique) == 1:
        access_record(
            actor=actor.audit_actor,
            subject=unique[0],
            categories=categories,
            purpose=purpose,
            action="read",
            request=actor.request,
            detail=what,
        )
    elif unique:
        access_record_many(
            actor=actor.audit_actor,
            subjects=unique,
            categories=categories,
            purpose=purpose,
            action="read",
            request=actor.request,
            detail=what,
        )


def _record_read(
    actor: StaffMember,
    customers: Iterable[Customer],
    what: str,
    *,
    categories: tuple[str, ...],
    purpose: str = READ_PURPOSE,
) -> None:
    """record_read for the customers a page shows."""
    record_read(
        actor,
        [customer.subject_id for customer in customers],
        what,
        categories=categories,
        purpose=purpose,
    )


def customer_for_staff(actor: StaffMember, customer_id: int) -> Customer:
    """One customer's profile for a staff member allowed to view profiles; 404 if unknown."""
    _require(actor, VIEW_CUSTOMER_PROFILE)
    customer = Customer.objects.select_related("user").filter(pk=customer_id).first()
    if customer is None:
        raise Http404("No such customer.")
    _record_read(
        actor, [customer], "profile", categories=_categories(Customer, extra=("contact_email",))
    )
    return customer


def customers_search_for_staff(actor: StaffMember, *, query: str) -> QuerySet[Customer]:
    """Customers whose email or full name is exactly `query` (any case); unevaluated.

    Exact matches only (no browsing by domain or part of a name): names are encrypted and found
    through their blind index, which matches whole values. The caller paginates, and records
    the read of the page it shows with `customers_search_page_read`.
    """
    _require(actor, VIEW_CUSTOMER_PROFILE)
    query = query.strip()
    is_email = "@" in query
    matches = Customer.objects.filter(user__email=query) if is_email else customers_named(query)
    return matches.select_related("user").order_by("created_at", "pk")


def customers_search_page_read(actor: StaffMember, customers: Iterable[Customer]) -> None:
    """Record that a page of search results (names, companies, emails) was shown.

    Also opens the page's data keys in one query, so showing the names costs no query per row.
    """
    customers = list(customers)
    data_keys_prefetch([*customers, *(customer.user for customer in customers)])
    _record_read(
        actor,
        customers,
        "search results",
        categories=_categories(Customer, extra=("contact_email",)),
    )


def profile_history_for_staff(
    actor: StaffMember, customer: Customer, *, limit: int = 50
) -> list[ProfileChange]:
    """The customer's rectification history, newest first."""
    _require(actor, VIEW_CUSTOMER_PROFILE)
    _record_read(actor, [customer], "profile history", categories=_categories(ProfileChange))
    return profile_history(customer, limit=limit)


def correction_reasons_for_staff(
    actor: StaffMember, changes: Iterable[ProfileChange]
) -> dict[uuid.UUID, str]:
    """{change id: reason} for those of these changes that a staff member made."""
    _require(actor, VIEW_CUSTOMER_PROFILE)
    rows = StaffCorrection.changes.through.objects.filter(
        profilechange_id__in=[change.pk for change in changes]
    ).values_list("profilechange_id", "staffcorrection__reason")
    return dict(rows)


def security_log_for_staff(
    actor: StaffMember, customer: Customer, *, limit: int = 50
) -> QuerySet[SecurityEvent]:
    """The customer's sign-in events with IPs, for a role allowed to review security logs."""
    _require(actor, VIEW_SECURITY_LOG)
    _record_read(
        actor,
        [customer],
        "security log",
        categories=_categories(SecurityEvent),
        purpose=SECURITY_PURPOSE,
    )
    return security_events_for_user(customer.user, limit=limit)
