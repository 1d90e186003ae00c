"""Processing blockers: who must be left out of a purpose's processing right now, as a subquery.

Restriction (Art. 18: only storage continues) and objection (Art. 21: absolute for direct
marketing) are recorded by the rights app (issue 5); the apps that process for a purpose, such as
a campaign computing its audience at send time (R25), must leave those people out. Rights sits
beside those apps in the layering and neither may import the other, so the hook is here, beside
the catalog: the app that records a blocker registers it, in its `privacy.py`,

    processing_blocker_register(
        "objection",
        subject="subject_id",
        rows=lambda purpose: Objection.objects.filter(active=True) if purpose.direct_marketing
        else None,
    )

and a processing app asks for the blockers of its purpose and applies them in SQL:

    audience = Subscriber.objects.all()
    for name, blocked in processing_blocked("marketing_email", outer="subject_id"):
        audience = audience.filter(~blocked)

`rows(purpose)` receives the policy's Purpose (with `lawful_basis`, `direct_marketing`) and
returns an unevaluated queryset of the rows that block it now, or None when this blocker never
blocks that purpose. It must not be evaluated: it becomes a correlated NOT EXISTS subquery, so
the exclusion stays one set-based query however many people it names (issue 6's audience
benchmark) and a NULL subject in the rows cannot empty the result as `NOT IN` would.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from tutela.policy.schema import Purpose

_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")

BlockerRows = Callable[[Purpose], "QuerySet[Any] | None"]


@dataclass(frozen=True)
class ProcessingBlocker:
    """A reason some subjects' data must not be processed for some purposes right now."""

    name: str  # a short key, also shown as the reason someone was left out ("objection")
    subject: str  # ORM path from the rows to the subject's pseudonymous id
    rows: BlockerRows

    def blocking(self, purpose: Purpose) -> QuerySet[Any] | None:
        """The rows that block `purpose` now (unevaluated), or None if it never blocks it."""
        rows = self.rows(purpose)
        if rows is not None and not isinstance(rows, QuerySet):
            raise TypeError(
                f"processing blocker {self.name!r} returned {type(rows).__name__}; it must "
                "return an unevaluated QuerySet or None"
            )
        return rows


_blockers: dict[str, ProcessingBlocker] = {}


def processing_blocker_register(name: str, *, subject: str, rows: BlockerRows) -> ProcessingBlocker:
    """Declare a blocker; a bad or repeated name is a programming error (ValueError)."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"processing blocker {name!r}: lower-case letters, digits and _ only")
    if name in _blockers:
        raise ValueError(f"processing blocker {name!r} is already registered")
    blocker = ProcessingBlocker(name=name, subject=subject, rows=rows)
    _blockers[name] = blocker
    return blocker


def processing_blocker_unregister(name: str) -> None:
    """Remove a blocker (for tests that register one of their own)."""
    _blockers.pop(name, None)


def processing_blockers() -> tuple[ProcessingBlocker, ...]:
    """Every registered blocker, in registration order."""
    return tuple(_blockers.values())


def processing_blocked(purpose: str, *, outer: str) -> list[tuple[str, Exists]]:
    """(blocker name, EXISTS subquery) for each blocker of `purpose`, correlated on the outer
    query's field `outer` (the subject id). Exclude with `~exists`, or filter with it to count
    who a blocker leaves out. LookupError for a purpose the policy does not declare."""
    # Imported here: tutela.policy.api imports this module.
    from tutela.policy.api import purpose as policy_purpose

    declared = policy_purpose(purpose)
    found = []
    for blocker in _blockers.values():
        rows = blocker.blocking(declared)
        if rows is not None:
            found.append((blocker.name, Exists(rows.filter(**{blocker.subject: OuterRef(outer)}))))
    return found
