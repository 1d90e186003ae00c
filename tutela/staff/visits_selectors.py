"""Staff reads of the security log of visits, each access-logged (R7, R8).

The same rules as selectors.py: check the permission again, record one access event per person
whose data the page shows. Rows of visitors who were not signed in name nobody, so there is no
one to record their read against; the privacy officer's role and the page are in the server log.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db.models import Q, QuerySet

from tutela.customers.api import Customer
from tutela.policy.api import catalog_entry_for
from tutela.staff.roles import VIEW_SECURITY_LOG
from tutela.staff.selectors import StaffMember, _require, record_read
from tutela.visits.api import Visit, ip_truncate


def visits_for_staff(
    actor: StaffMember, *, ip: str = "", subject_id: uuid.UUID | None = None
) -> QuerySet[Visit]:
    """Visits, newest first, optionally of one address or one person; unevaluated (the caller
    paginates, then records the read of the page it shows with `visits_page_read`).

    An address also finds the rows already cut to its network (after the policy's first
    period), so a search covers the whole 13 months the log keeps.
    """
    _require(actor, VIEW_SECURITY_LOG)
    visits = Visit.objects.all()
    if ip:
        visits = visits.filter(
            Q(ip_address=ip, ip_truncated=False) | Q(ip_address=ip_truncate(ip), ip_truncated=True)
        )
    if subject_id is not None:
        visits = visits.filter(subject_id=subject_id)
    return visits.order_by("-last_seen", "-id")


def visits_page_read(actor: StaffMember, visits: Iterable[Visit]) -> dict[uuid.UUID, int]:
    """Record that a page of the log was shown; {subject id: customer id} for its links."""
    _require(actor, VIEW_SECURITY_LOG)
    subjects = list(dict.fromkeys(v.subject_id for v in visits if v.subject_id is not None))
    entry = catalog_entry_for(Visit)
    record_read(actor, subjects, "visits log", categories=entry.categories, purpose=entry.purpose)
    if not subjects:
        return {}
    return dict(Customer.objects.filter(subject_id__in=subjects).values_list("subject_id", "pk"))
