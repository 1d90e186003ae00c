"""Marketing writes, previews and sends newsletter campaigns (R8, R23, R25, R38, R40).

The pages show campaigns and counts only: who is in an audience, or received a campaign, is
never shown to staff (the access log records each address the sender read, by subject).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tutela.campaigns.api import (
    Campaign,
    campaign_audience,
    campaign_cancel,
    campaign_create,
    campaign_failures,
    campaign_get,
    campaign_not_sent,
    campaign_preview,
    campaign_send_start,
    campaign_update,
    campaigns_list,
    reasons_shown,
)
from tutela.core.forms import form_add_service_errors
from tutela.staff.access import staff_required
from tutela.staff.campaigns_forms import CampaignForm
from tutela.staff.roles import EDIT_CAMPAIGNS, SEND_CAMPAIGNS, VIEW_CAMPAIGNS, WRITE_CAMPAIGNS
from tutela.staff.selectors import StaffMember

# The HTML version is shown as its own document, in a sandbox: no script runs, no form posts,
# nothing loads from our origin's cookies, whatever the HTML holds.
PREVIEW_CSP = (
    "sandbox; default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'; form-action 'none'; base-uri 'none'"
)


@staff_required(VIEW_CAMPAIGNS)
@require_GET
def campaigns(request: HttpRequest, member: StaffMember) -> HttpResponse:
    """The campaigns, newest first, with their status and counts."""
    return render(
        request,
        "staff/campaigns/list.html",
        {
            "member": member,
            "campaigns": campaigns_list(),
            "can_create": member.can(WRITE_CAMPAIGNS),
        },
    )


@staff_required(WRITE_CAMPAIGNS)
@require_http_methods(["GET", "POST"])
def campaign_new(request: HttpRequest, member: StaffMember) -> HttpResponse:
    """Write a draft; it is previewed before anyone can send it."""
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = campaign_create(**form.cleaned_data, actor=member.audit_actor)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, "Draft saved. Check the preview before you send it.")
            return redirect("staff:campaign", campaign_id=campaign.pk)
    return render(
        request, "staff/campaigns/form.html", {"member": member, "form": form, "campaign": None}
    )


@staff_required(EDIT_CAMPAIGNS)
@require_http_methods(["GET", "POST"])
def campaign_edit(request: HttpRequest, member: StaffMember, campaign_id: int) -> HttpResponse:
    """Change a draft's words."""
    campaign = campaign_get(campaign_id)
    initial = {"subject": campaign.subject, "text_body": campaign.text_body,
               "html_body": campaign.html_body}  # fmt: skip
    form = CampaignForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            campaign_update(campaign=campaign, **form.cleaned_data, actor=member.audit_actor)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, "Draft updated.")
            return redirect("staff:campaign", campaign_id=campaign.pk)
    return render(
        request, "staff/campaigns/form.html", {"member": member, "form": form, "campaign": campaign}
    )


def _progress_context(campaign: Campaign) -> dict[str, object]:
    return {
        "campaign": campaign,
        "excluded": reasons_shown(campaign.excluded),
        "skipped": reasons_shown(campaign.skipped_reasons),
        "failures": reasons_shown(campaign_failures(campaign)) if campaign.failed_count else [],
        "not_sent": campaign_not_sent(campaign)
        if campaign.status == Campaign.Status.CANCELLED and campaign.audience_at
        else 0,
    }


@staff_required(VIEW_CAMPAIGNS)
@require_GET
def campaign(request: HttpRequest, member: StaffMember, campaign_id: int) -> HttpResponse:
    """One campaign: the preview as a recipient gets it, its progress, and the actions."""
    found = campaign_get(campaign_id)
    preview = campaign_preview(found)
    context = {
        "member": member,
        "preview": preview,
        "headers": [(name, preview.extra_headers[name]) for name in sorted(preview.extra_headers)],
        # How many would receive it if sent now (computed again when it is sent).
        "audience_now": campaign_audience().count() if found.is_draft else None,
        "can_edit": found.is_draft and member.can(EDIT_CAMPAIGNS),
        "can_send": found.is_draft and member.can(SEND_CAMPAIGNS),
        "can_cancel": found.status in (Campaign.Status.DRAFT, Campaign.Status.SENDING)
        and member.can(SEND_CAMPAIGNS),
        **_progress_context(found),
    }
    return render(request, "staff/campaigns/detail.html", context)


@staff_required(VIEW_CAMPAIGNS)
@require_GET
def campaign_progress(request: HttpRequest, member: StaffMember, campaign_id: int) -> HttpResponse:
    """The progress panel alone, polled by htmx every few seconds while the campaign sends."""
    return render(
        request, "staff/campaigns/_progress.html", _progress_context(campaign_get(campaign_id))
    )


@staff_required(VIEW_CAMPAIGNS)
@require_GET
def campaign_preview_html(
    request: HttpRequest, member: StaffMember, campaign_id: int
) -> HttpResponse:
    """The HTML version as a recipient gets it (with the footer), as a sandboxed document."""
    preview = campaign_preview(campaign_get(campaign_id))
    html = next((content for content, mime in preview.alternatives if mime == "text/html"), None)
    response = render(request, "campaigns/preview.html", {"subject": preview.subject, "html": html})
    response["Content-Security-Policy"] = PREVIEW_CSP  # the CSP middleware keeps a set header
    return response


@staff_required(SEND_CAMPAIGNS)
@require_POST
def campaign_send(request: HttpRequest, member: StaffMember, campaign_id: int) -> HttpResponse:
    """Send a draft: the audience is computed when the background send starts."""
    try:
        campaign_send_start(campaign=campaign_get(campaign_id), actor=member.audit_actor)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, "Sending has started. The audience is computed now, from current consent."
        )
    return redirect("staff:campaign", campaign_id=campaign_id)


@staff_required(SEND_CAMPAIGNS)
@require_POST
def campaign_cancel_view(
    request: HttpRequest, member: StaffMember, campaign_id: int
) -> HttpResponse:
    """Cancel a draft or stop a send in progress."""
    try:
        campaign_cancel(campaign=campaign_get(campaign_id), actor=member.audit_actor)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Cancelled: no further email of this campaign goes out.")
    return redirect("staff:campaign", campaign_id=campaign_id)
