"""Staff tools for applications: the queue, the thread, replies and status (R7, R8, R38).

Only support may use them. The privacy officer has no access: a rights request that arrives as
an application is passed on by support to the rights queue (issue 5) rather than widening the
officer's reach to every customer's correspondence; finance and marketing have no reason to.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from tutela.core.forms import form_add_service_errors
from tutela.staff.access import staff_required
from tutela.staff.roles import ANSWER_APPLICATIONS, VIEW_APPLICATIONS
from tutela.staff.selectors import StaffMember
from tutela.staff.support_selectors import (
    QUEUE_FILTERS,
    application_for_staff,
    application_thread_for_staff,
    applications_page_read,
    applications_queue_for_staff,
    attachment_for_staff,
)
from tutela.support.api import (
    StaffReplyForm,
    StatusForm,
    application_staff_reply,
    application_status_set,
    attachment_response,
)

PAGE_SIZE = 25


@staff_required(VIEW_APPLICATIONS)
@require_GET
def applications(request: HttpRequest, member: StaffMember) -> HttpResponse:
    """The queue: open applications first, the longest-waiting at the top; reads logged."""
    show = request.GET.get("show", "active")
    if show not in QUEUE_FILTERS:
        show = "active"
    queue = applications_queue_for_staff(member, show=show)
    page = Paginator(queue, PAGE_SIZE).get_page(request.GET.get("page"))
    applications_page_read(member, page.object_list)
    return render(
        request,
        "staff/support/applications.html",
        {
            "member": member,
            "page": page,
            "show": show,
            "filters": [(key, label) for key, (label, _) in QUEUE_FILTERS.items()],
        },
    )


def _application_page(
    request: HttpRequest,
    member: StaffMember,
    application_id: uuid.UUID,
    *,
    reply_form: StaffReplyForm | None = None,
    status_form: StatusForm | None = None,
) -> HttpResponse:
    thread = application_thread_for_staff(member, application_id)
    application = thread.application
    can_answer = member.can(ANSWER_APPLICATIONS)
    return render(
        request,
        "staff/support/application.html",
        {
            "member": member,
            "thread": thread,
            "application": application,
            "can_answer": can_answer,
            "reply_form": reply_form or StaffReplyForm(),
            "status_form": status_form or StatusForm(initial={"status": application.status}),
        },
    )


@staff_required(VIEW_APPLICATIONS)
@require_GET
def application(
    request: HttpRequest, member: StaffMember, application_id: uuid.UUID
) -> HttpResponse:
    """One application's thread, with the reply and status forms."""
    return _application_page(request, member, application_id)


@staff_required(ANSWER_APPLICATIONS)
@require_POST
def application_reply(
    request: HttpRequest, member: StaffMember, application_id: uuid.UUID
) -> HttpResponse:
    """Reply to the customer (who is emailed that a reply is waiting) and set the status."""
    application = application_for_staff(member, application_id)
    form = StaffReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            application_staff_reply(
                application=application,
                body=form.cleaned_data["body"],
                status=form.cleaned_data["status"],
                attachments=form.cleaned_data["attachments"],
                actor=member.audit_actor,
                request=request,
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"Reply sent on {application.reference}; the customer has been told by email.",
            )
            return redirect("staff:applications")
    return _application_page(request, member, application_id, reply_form=form)


@staff_required(ANSWER_APPLICATIONS)
@require_POST
def application_status(
    request: HttpRequest, member: StaffMember, application_id: uuid.UUID
) -> HttpResponse:
    """Change an application's status without writing to the customer."""
    application = application_for_staff(member, application_id)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            changed = application_status_set(
                application=application,
                status=form.cleaned_data["status"],
                actor=member.audit_actor,
                request=request,
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            if changed:
                messages.success(
                    request, f"{application.reference} is now {application.get_status_display()}."
                )
            return redirect("staff:application", application_id=application.pk)
    return _application_page(request, member, application_id, status_form=form)


@staff_required(VIEW_APPLICATIONS)
@require_GET
def application_attachment(
    request: HttpRequest, member: StaffMember, application_id: uuid.UUID, attachment_id: uuid.UUID
) -> HttpResponse:
    """Download an attachment; the read is logged (R7)."""
    return attachment_response(attachment_for_staff(member, application_id, attachment_id))
