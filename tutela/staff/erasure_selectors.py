"""Staff reads for erasure: the dry run of an erasure request and the processors to be told.

The dry run shows counts per catalog entry, never a value; counting a person's rows is still a
look at their data, so it is access-logged with the categories they have (R7).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from tutela.rights.api import (
    PURPOSE,
    DataSubjectRequest,
    ErasureRun,
    ErasureStep,
    LegalHold,
    ProcessorNotice,
    erasure_preview,
)
from tutela.staff.roles import CARRY_OUT_ERASURE, HANDLE_PROCESSOR_NOTICES, VIEW_RIGHTS_REQUESTS
from tutela.staff.selectors import StaffMember, _require, record_read

RECENTLY_DONE = 50


@dataclass(frozen=True)
class ErasurePage:
    """An erasure request with its plan (the dry run, or the run's own) and the run's record."""

    dsr: DataSubjectRequest
    run: ErasureRun | None
    plan: dict[str, Any]
    steps: list[ErasureStep]
    holds: list[LegalHold]
    notices: list[ProcessorNotice]


def erasure_for_staff(actor: StaffMember, dsr_id: uuid.UUID) -> ErasurePage:
    """An erasure request, its dry run (per catalog entry: rows and action) or its run; 404 for
    an unknown request or another kind. The dry run is logged as a read of the person's data."""
    _require(actor, CARRY_OUT_ERASURE)
    dsr = DataSubjectRequest.objects.filter(pk=dsr_id, kind=DataSubjectRequest.Kind.ERASURE).first()
    if dsr is None:
        raise Http404("No such erasure request.")
    run = ErasureRun.objects.filter(request=dsr).first()
    if run is None:
        plan = erasure_preview(str(dsr.subject_id))
        if plan["categories"]:
            record_read(
                actor,
                [dsr.subject_id],
                f"erasure preview {dsr.reference}",
                categories=tuple(plan["categories"]),
                purpose=PURPOSE,
            )
        return ErasurePage(dsr, None, plan, [], [], [])
    return ErasurePage(
        dsr,
        run,
        run.plan,
        list(run.steps.all()),
        list(run.holds.all()),
        list(run.notices.all()),
    )


def notices_for_staff(actor: StaffMember) -> tuple[list[ProcessorNotice], list[ProcessorNotice]]:
    """Processor tasks still to do (oldest first), and the most recently done ones. Processor
    names, categories and pseudonymous ids only: nothing to log."""
    _require(actor, VIEW_RIGHTS_REQUESTS)
    rows = ProcessorNotice.objects.select_related("run__request")
    open_ = list(rows.filter(status__in=ProcessorNotice.OPEN_STATUSES).order_by("created_at"))
    done = list(
        rows.exclude(status__in=ProcessorNotice.OPEN_STATUSES).order_by("-created_at")[
            :RECENTLY_DONE
        ]
    )
    return open_, done


def notice_for_staff_action(actor: StaffMember, notice_id: uuid.UUID) -> ProcessorNotice:
    """A processor task about to be ticked off or retried; 404 if unknown."""
    _require(actor, HANDLE_PROCESSOR_NOTICES)
    notice = ProcessorNotice.objects.filter(pk=notice_id).first()
    if notice is None:
        raise Http404("No such processor task.")
    return notice


def open_notices(actor: StaffMember) -> QuerySet[ProcessorNotice]:
    """The processor tasks still to do (for a count on the queue)."""
    _require(actor, VIEW_RIGHTS_REQUESTS)
    return ProcessorNotice.objects.filter(status__in=ProcessorNotice.OPEN_STATUSES)
