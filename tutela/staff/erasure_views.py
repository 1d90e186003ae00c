"""Erasure in the staff console: the privacy officer's dry run and "Carry out the erasure", and
the processors to be told by hand (R14, R18). Thin: parse, call a service or selector, render.

Erasure runs in recorded steps that each commit on their own, so these views opt out of the
request-wide transaction (ATOMIC_REQUESTS): a failure part-way then leaves the finished steps
in place and the page offers to resume.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tutela.core.forms import form_add_service_errors
from tutela.rights.api import (
    DataSubjectRequest,
    ErasureInterrupted,
    ErasureRefused,
    ErasureRun,
    dsr_fulfil_erasure,
    notice_done,
    notice_retry,
)
from tutela.staff.access import staff_required
from tutela.staff.erasure_forms import CarryOutForm, NoticeDoneForm
from tutela.staff.erasure_selectors import (
    erasure_for_staff,
    notice_for_staff_action,
    notices_for_staff,
)
from tutela.staff.roles import CARRY_OUT_ERASURE, HANDLE_PROCESSOR_NOTICES, VIEW_RIGHTS_REQUESTS
from tutela.staff.selectors import StaffMember


def _erasure_page(
    request: HttpRequest, member: StaffMember, dsr_id: uuid.UUID, form: forms.Form | None = None
) -> HttpResponse:
    page = erasure_for_staff(member, dsr_id)
    dsr, run = page.dsr, page.run
    ready = dsr.status == DataSubjectRequest.Status.IN_PROGRESS and dsr.is_verified
    unfinished = run is not None and run.status != ErasureRun.Status.DONE
    context: dict[str, Any] = {
        "member": member,
        "page": page,
        "dsr": dsr,
        "run": run,
        "plan": page.plan,
        "done_steps": {step.step for step in page.steps},
        "step_choices": ErasureRun.Step.choices,
        "can_start": run is None and ready,
        "can_resume": unfinished,
        "form": form or CarryOutForm(),
    }
    return render(request, "staff/rights/erasure.html", context)


@transaction.non_atomic_requests
@staff_required(CARRY_OUT_ERASURE)
@require_http_methods(["GET", "POST"])
def dsr_erasure(request: HttpRequest, member: StaffMember, dsr_id: uuid.UUID) -> HttpResponse:
    """GET: the dry run (per catalog entry: rows and what erasure does) or the run's record.
    POST: carry out the erasure, or resume one that stopped part-way."""
    if request.method != "POST":
        return _erasure_page(request, member, dsr_id)
    page = erasure_for_staff(member, dsr_id)
    form = CarryOutForm(request.POST)
    if page.run is None and not form.is_valid():
        return _erasure_page(request, member, dsr_id, form)
    try:
        report = dsr_fulfil_erasure(dsr=page.dsr, actor=member.audit_actor, request=request)
    except ErasureRefused as exc:
        messages.error(request, " ".join(exc.messages))
    except ErasureInterrupted as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, report.summary)
    return redirect("staff:dsr_erasure", dsr_id=page.dsr.pk)


@staff_required(VIEW_RIGHTS_REQUESTS)
@require_GET
def processor_notices(request: HttpRequest, member: StaffMember) -> HttpResponse:
    """Processors to be told of erasures: tasks to tick off by hand, failed webhooks to retry."""
    open_, done = notices_for_staff(member)
    can_handle = member.can(HANDLE_PROCESSOR_NOTICES)
    forms_by_notice = {
        notice.pk: NoticeDoneForm(prefix=str(notice.pk)) for notice in open_ if can_handle
    }
    return render(
        request,
        "staff/rights/processor_notices.html",
        {
            "member": member,
            "rows": [(notice, forms_by_notice.get(notice.pk)) for notice in open_],
            "done": done,
            "can_handle": can_handle,
        },
    )


@transaction.non_atomic_requests
@staff_required(HANDLE_PROCESSOR_NOTICES)
@require_POST
def processor_notice_act(
    request: HttpRequest, member: StaffMember, notice_id: uuid.UUID, action: str
) -> HttpResponse:
    """Tick a processor task off (with what the processor confirmed), or retry its webhook."""
    notice = notice_for_staff_action(member, notice_id)
    if action == "retry":
        try:
            notice = notice_retry(notice=notice)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if notice.is_open:
                messages.error(request, f"The webhook failed again: {notice.last_error}")
            else:
                messages.success(request, f"{notice.processor_label} was told by webhook.")
        return redirect("staff:processor_notices")
    if action != "done":
        raise Http404("No such action.")
    form = NoticeDoneForm(request.POST, prefix=str(notice.pk))
    if form.is_valid():
        try:
            with transaction.atomic():
                notice_done(
                    notice=notice,
                    confirmation=form.cleaned_data["confirmation"],
                    actor=member.audit_actor,
                )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, f"{notice.processor_label}: ticked off.")
            return redirect("staff:processor_notices")
    open_, done = notices_for_staff(member)
    rows = [
        (item, form if item.pk == notice.pk else NoticeDoneForm(prefix=str(item.pk)))
        for item in open_
    ]
    return render(
        request,
        "staff/rights/processor_notices.html",
        {"member": member, "rows": rows, "done": done, "can_handle": True},
    )
