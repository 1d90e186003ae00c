"""Who accessed the data: a plain value that upper layers build (audit must not import accounts)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.db import models


class ActorKind(models.TextChoices):
    """The kinds of actor an access can come from."""

    STAFF = "staff", "Staff"
    CUSTOMER = "customer", "Customer"
    SYSTEM = "system", "System job"
    API = "api", "API client"


class StaffLike(Protocol):
    """What `Actor.for_staff` needs from a user object (duck-typed; audit knows no User model)."""

    pk: int | None


@dataclass(frozen=True, slots=True)
class Actor:
    """The actor of an access event, kept as a label so the log outlives the actor's account.

    kind: staff, customer, system job or API client. id: the account or client id (no foreign
    key: deleting the account must not touch the log). label: what the data subject is shown,
    e.g. "Sam (support)" for staff (first name and role, never an email), "you" for the subject
    themselves, the job name for jobs. role: the staff role or "job"/"api".
    """

    kind: ActorKind
    id: int | None
    label: str
    role: str = ""

    @classmethod
    def system(cls, job: str) -> Actor:
        """A background job or management command, named by its job name."""
        return cls(kind=ActorKind.SYSTEM, id=None, label=job, role="job")

    @classmethod
    def staff(cls, *, id: int | None, first_name: str, role: str) -> Actor:
        """A staff member, shown to customers as "first name (role)"."""
        return cls(kind=ActorKind.STAFF, id=id, label=f"{first_name} ({role})", role=role)

    @classmethod
    def for_staff(cls, user: StaffLike, *, first_name: str, role: str) -> Actor:
        """A staff member from any user object with a `pk` (upper layers pick name and role)."""
        return cls.staff(id=user.pk, first_name=first_name, role=role)

    @classmethod
    def customer(cls, *, id: int | None) -> Actor:
        """The data subject acting on their own data; their access page shows "you"."""
        return cls(kind=ActorKind.CUSTOMER, id=id, label="you", role="customer")

    @classmethod
    def api_client(cls, *, id: int | None, name: str) -> Actor:
        """A client of the JSON API, named by its registered client name."""
        return cls(kind=ActorKind.API, id=id, label=name, role="api")
