"""The privacy officer's rights request queue: deadlines, identity checks, the clock, decisions
and answers (R9-R13, R19, R38). Thin: parse, call a service or selector, render."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tutela.core.forms import form_add_service_errors
from tutela.rights.api import (
    DataSubjectRequest,
    ExportUnavailable,
    dsr_complete,
    dsr_deadline,
    dsr_decide,
    dsr_extend,
    dsr_fulfil_access,
    dsr_open,
    dsr_pause,
    dsr_resume,
    dsr_verification_send,
    dsr_verify,
)
from tutela.staff.access import staff_required
from tutela.staff.rights_forms import (
    CompleteForm,
    DecideForm,
    DsrEnterForm,
    ExtendForm,
    PauseForm,
    ResumeForm,
    VerifyForm,
)
from tutela.staff.rights_selectors import (
    dsr_closed_for_staff,
    dsr_for_staff,
    dsr_for_staff_action,
    dsr_page_read,
    dsr_queue_for_staff,
)
from tutela.staff.roles import (
    ENTER_RIGHTS_REQUESTS,
    HANDLE_RIGHTS_REQUESTS,
    VIEW_RIGHTS_REQUESTS,
)
from tutela.staff.selectors import StaffMember

PAGE_SIZE = 25
Status = DataSubjectRequest.Status


@dataclass(frozen=True)
class Action:
    """One thing staff can do to a request: its form, when it applies, and the service call."""

    title: str
    form: type[forms.Form]
    statuses: frozenset[str]
    run: Callable[[DataSubjectRequest, forms.Form, StaffMember], DataSubjectRequest]
    done: str
    kinds: frozenset[str] | None = None  # None: every kind
    # Service error fields that the form calls differently.
    renamed: tuple[tuple[str, str], ...] = ()


class _NoFields(forms.Form):
    """A button: the action needs nothing typed."""


def _verify(dsr: DataSubjectRequest, form: forms.Form, member: StaffMember) -> DataSubjectRequest:
    return dsr_verify(
        dsr=dsr,
        method=DataSubjectRequest.Verification.STAFF_CHECK,
        note=form.cleaned_data["note"],
        actor=member.audit_actor,
        request=member.request,
    )


def _send_link(
    dsr: DataSubjectRequest, form: forms.Form, member: StaffMember
) -> DataSubjectRequest:
    return dsr_verification_send(dsr=dsr, actor=member.audit_actor)


def _pause(dsr: DataSubjectRequest, form: forms.Form, member: StaffMember) -> DataSubjectRequest:
    return dsr_pause(
        dsr=dsr,
        question=form.cleaned_data["question"],
        actor=member.audit_actor,
        request=member.request,
    )


def _resume(dsr: DataSubjectRequest, form: forms.Form, member: StaffMember) -> DataSubjectRequest:
    return dsr_resume(
        dsr=dsr, note=form.cleaned_data["note"], actor=member.audit_actor, request=member.request
    )


def _extend(dsr: DataSubjectRequest, form: forms.Form, member: StaffMember) -> DataSubjectRequest:
    return dsr_extend(
        dsr=dsr,
        months=form.cleaned_data["months"],
        reason=form.cleaned_data["reason"],
        actor=member.audit_actor,
        request=member.request,
    )


def _decide(dsr: DataSubjectRequest, form: forms.Form, member: StaffMember) -> DataSubjectRequest:
    assert isinstance(form, DecideForm)  # noqa: S101 - the table pairs them
    return dsr_decide(
        dsr=dsr,
        manifestly=form.cleaned_data["manifestly"],
        decision=form.cleaned_data["decision"],
        reason=form.cleaned_data["reason"],
        fee_pence=form.fee_pence,
        actor=member.audit_actor,
        request=member.request,
    )


def _complete(dsr: DataSubjectRequest, form: forms.Form, member: StaffMember) -> DataSubjectRequest:
    return dsr_complete(
        dsr=dsr,
        outcome=form.cleaned_data["outcome"],
        actor=member.audit_actor,
        request=member.request,
    )


def _fulfil(dsr: DataSubjectRequest, form: forms.Form, member: StaffMember) -> DataSubjectRequest:
    try:
        export = dsr_fulfil_access(dsr=dsr, actor=member.audit_actor, request=member.request)
    except ExportUnavailable:
        raise ValidationError(
            "The export library is not installed in this build; prepare the copy by hand and "
            "complete the request with what was sent.",
            code="unavailable",
        ) from None
    return export.request


_OPEN = frozenset(s for s in Status.values if s not in DataSubjectRequest.CLOSED_STATUSES)
ACTIONS: dict[str, Action] = {
    "verify": Action(
        "Record an identity check",
        VerifyForm,
        frozenset({Status.AWAITING_VERIFICATION}),
        _verify,
        "Identity verified: the clock runs.",
    ),
    "send_link": Action(
        "Email a verification link",
        _NoFields,
        frozenset({Status.AWAITING_VERIFICATION}),
        _send_link,
        "Verification link sent.",
    ),
    "pause": Action(
        "Ask for clarification (pauses the clock)",
        PauseForm,
        frozenset({Status.IN_PROGRESS}),
        _pause,
        "Clarification asked: the clock is paused.",
    ),
    "resume": Action(
        "The person answered: resume the clock",
        ResumeForm,
        frozenset({Status.AWAITING_CLARIFICATION, Status.FEE_REQUESTED}),
        _resume,
        "The clock runs again.",
    ),
    "extend": Action(
        "Extend the deadline",
        ExtendForm,
        frozenset({Status.IN_PROGRESS, Status.AWAITING_CLARIFICATION}),
        _extend,
        "Deadline extended; the person is told why.",
    ),
    "fulfil": Action(
        "Prepare the copy of the data and send the link",
        _NoFields,
        frozenset({Status.IN_PROGRESS}),
        _fulfil,
        "The copy of the data is ready; the person is told where to download it.",
        kinds=frozenset({DataSubjectRequest.Kind.ACCESS, DataSubjectRequest.Kind.PORTABILITY}),
    ),
    "complete": Action(
        "Complete the request",
        CompleteForm,
        frozenset({Status.IN_PROGRESS}),
        _complete,
        "Request completed; the person is told.",
    ),
    "decide": Action(
        "Manifestly unfounded or excessive: refuse or ask a fee",
        DecideForm,
        _OPEN,
        _decide,
        "Decision recorded and sent to the person.",
        renamed=(("fee_pence", "fee"),),
    ),
}


def _available(dsr: DataSubjectRequest) -> dict[str, Action]:
    return {
        name: action
        for name, action in ACTIONS.items()
        if dsr.status in action.statuses
        and (action.kinds is None or dsr.kind in action.kinds)
        and not (name == "send_link" and not dsr.requester_email)
    }


@staff_required(VIEW_RIGHTS_REQUESTS)
@require_GET
def dsr_queue(request: HttpRequest, member: StaffMember) -> HttpResponse:
    """Open requests, least time left first; overdue and due soon marked in colour and words."""
    return render(
        request,
        "staff/rights/queue.html",
        {
            "member": member,
            "rows": dsr_queue_for_staff(member),
            "can_enter": member.can(ENTER_RIGHTS_REQUESTS),
        },
    )


@staff_required(VIEW_RIGHTS_REQUESTS)
@require_GET
def dsr_closed(request: HttpRequest, member: StaffMember) -> HttpResponse:
    """Answered requests, most recently closed first, paginated."""
    page = Paginator(dsr_closed_for_staff(member), PAGE_SIZE).get_page(request.GET.get("page"))
    dsr_page_read(member, page.object_list)
    rows = [(dsr, dsr_deadline(dsr)) for dsr in page.object_list]
    return render(
        request, "staff/rights/closed.html", {"member": member, "page": page, "rows": rows}
    )


@staff_required(ENTER_RIGHTS_REQUESTS)
@require_http_methods(["GET", "POST"])
def dsr_new(request: HttpRequest, member: StaffMember) -> HttpResponse:
    """Enter a request received by email, phone or post (R19)."""
    form = DsrEnterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            dsr = dsr_open(
                kind=data["kind"],
                channel=data["channel"],
                received_at=data["received_at"],
                requester_name=data["requester_name"],
                requester_email=data["requester_email"],
                details=data["details"],
                verified_by=(
                    DataSubjectRequest.Verification.STAFF_CHECK
                    if data["identity_checked"]
                    else None
                ),
                identity_note=data["identity_note"],
                actor=member.audit_actor,
                request=request,
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, f"Request {dsr.reference} entered.")
            return redirect("staff:dsr_detail", dsr_id=dsr.pk)
    return render(request, "staff/rights/new.html", {"member": member, "form": form})


def _detail(
    request: HttpRequest,
    member: StaffMember,
    dsr_id: uuid.UUID,
    *,
    bound: tuple[str, forms.Form] | None = None,
) -> HttpResponse:
    dsr, events = dsr_for_staff(member, dsr_id)
    can_handle = member.can(HANDLE_RIGHTS_REQUESTS)
    actions: list[tuple[str, Action, forms.Form]] = []
    if can_handle:
        for name, action in _available(dsr).items():
            form = bound[1] if bound and bound[0] == name else action.form(prefix=name)
            actions.append((name, action, form))
    context: dict[str, Any] = {
        "member": member,
        "dsr": dsr,
        "events": events,
        "deadline": dsr_deadline(dsr),
        "actions": actions,
    }
    return render(request, "staff/rights/detail.html", context)


@staff_required(VIEW_RIGHTS_REQUESTS)
@require_GET
def dsr_detail(request: HttpRequest, member: StaffMember, dsr_id: uuid.UUID) -> HttpResponse:
    """One request in full: who asked, the deadline, the history, and what can be done next."""
    return _detail(request, member, dsr_id)


def _renamed(exc: ValidationError, names: tuple[tuple[str, str], ...]) -> ValidationError:
    if not names or not hasattr(exc, "error_dict"):
        return exc
    mapping = dict(names)
    return ValidationError({mapping.get(k, k): v for k, v in exc.message_dict.items()})


@staff_required(HANDLE_RIGHTS_REQUESTS)
@require_POST
def dsr_act(
    request: HttpRequest, member: StaffMember, dsr_id: uuid.UUID, action: str
) -> HttpResponse:
    """Run one action on a request; a refused one shows the page again with the reason."""
    dsr = dsr_for_staff_action(member, dsr_id)
    chosen = ACTIONS.get(action)
    if chosen is None:
        raise Http404("No such action.")
    form = chosen.form(request.POST, prefix=action)
    if form.is_valid():
        try:
            chosen.run(dsr, form, member)
        except ValidationError as exc:
            if action not in _available(dsr):
                # No form on the page for it any more (the status moved on): say why at the top.
                messages.error(request, " ".join(exc.messages))
                return redirect("staff:dsr_detail", dsr_id=dsr.pk)
            form_add_service_errors(form, _renamed(exc, chosen.renamed))
        else:
            messages.success(request, chosen.done)
            return redirect("staff:dsr_detail", dsr_id=dsr.pk)
    return _detail(request, member, dsr_id, bound=(action, form))
