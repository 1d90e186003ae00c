"""The Privacy Centre: the rights, asking to use them, following their progress, downloading
the copy of one's data. Thin: parse, call a service or selector, render."""

from __future__ import annotations

import logging
import uuid

from allauth.account.decorators import reauthentication_required
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.decorators import ratelimit

from tutela.audit.api import Actor
from tutela.core.forms import form_add_service_errors
from tutela.customers.api import Customer, customer_for_user, customer_required
from tutela.policy.api import current_policy
from tutela.rights.forms import AskForm, AskWithoutAccountForm
from tutela.rights.models import DataSubjectRequest, ExportFile
from tutela.rights.selectors import (
    dsr_deadline,
    export_download,
    export_for_link,
    export_for_owner,
    exports_for_customer,
    history_for_person,
    request_for_customer,
    request_for_verify_token,
    requests_for_customer,
    rights_offered,
)
from tutela.rights.services import (
    ACCESS_KINDS,
    dsr_fulfil_access,
    dsr_open,
    dsr_verification_send,
    dsr_verify,
    export_collector,
)
from tutela.rights.tasks import erasure_carry_out

logger = logging.getLogger(__name__)

# Anyone may post these without an account, so they are limited per IP (R4, R40), with
# django-ratelimit as every form; over the limit, a 429 page.
ASK_WITHOUT_ACCOUNT_RATE = "5/h"
VERIFY_RATE = "20/h"
_CONTENT_TYPES = {
    ExportFile.Format.JSON: "application/json",
    ExportFile.Format.HTML: "text/html; charset=utf-8",
}


def _customer(request: HttpRequest) -> Customer | None:
    if not request.user.is_authenticated or request.user.is_staff:
        return None
    return customer_for_user(request.user)


def _kind(kind: str) -> str:
    if kind not in DataSubjectRequest.Kind.values:
        raise Http404("No such right.")
    return kind


@require_GET
def centre(request: HttpRequest) -> HttpResponse:
    """The rights with what each does; for a customer, their requests and downloads too."""
    customer = _customer(request)
    now = timezone.now()
    context: dict[str, object] = {"offers": rights_offered(), "policy": current_policy()}
    if customer is not None:
        context["requests"] = [
            (dsr, dsr_deadline(dsr, now=now)) for dsr in requests_for_customer(customer)
        ]
        context["exports"] = exports_for_customer(customer, now=now)
    return render(request, "rights/centre.html", {"customer": customer, **context})


def _fulfil_now(request: HttpRequest, dsr: DataSubjectRequest) -> bool:
    """Build the export at once for a verified access request, if the export library is here
    and nothing needs a person's judgement; otherwise the privacy officers take it."""
    collect = export_collector()
    if collect is None or dsr.kind not in ACCESS_KINDS or dsr.possibly_excessive:
        return False
    try:
        with transaction.atomic():  # a savepoint: a failure leaves the request open, in the queue
            dsr_fulfil_access(
                dsr=dsr, actor=Actor.customer(id=request.user.pk), collect=collect, request=request
            )
    except Exception:
        logger.exception("building the access export failed for %s", dsr.reference)
        return False
    return True


def _erasure_asked(request: HttpRequest, dsr: DataSubjectRequest) -> HttpResponse:
    """A verified erasure request waits for a privacy officer, who sees what it will erase and
    keep before carrying it out; with TUTELA_ERASURE_AUTOMATIC (and nothing flagged for a
    person's judgement) a background job carries it out as soon as the request is stored, and
    the person is signed out: their account is about to stop existing."""
    if not settings.TUTELA_ERASURE_AUTOMATIC or dsr.possibly_excessive:
        messages.success(
            request,
            f"We have your request {dsr.reference}. A privacy officer will check it and erase "
            "your data; we will email you what we erased and what the law makes us keep.",
        )
        return redirect("rights:request_detail", dsr_id=dsr.pk)
    request_id = str(dsr.pk)
    transaction.on_commit(lambda: erasure_carry_out.enqueue(request_id), robust=True)
    logout(request)
    return render(request, "rights/erasure_started.html", {"reference": dsr.reference})


@customer_required
@reauthentication_required
@require_http_methods(["GET", "POST"])
def ask(request: HttpRequest, customer: Customer, kind: str) -> HttpResponse:
    """Ask to use a right from the account; the recent re-authentication proves the identity
    (R5, R12), so the clock runs from now."""
    kind = _kind(kind)
    form = AskForm(request.POST or None, kind=kind)
    if request.method == "POST" and form.is_valid():
        try:
            dsr = dsr_open(
                kind=kind,
                channel=DataSubjectRequest.Channel.ACCOUNT,
                customer=customer,
                details=form.cleaned_data["details"],
                verified_by=DataSubjectRequest.Verification.REAUTHENTICATION,
                actor=Actor.customer(id=request.user.pk),
                request=request,
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            if dsr.kind == DataSubjectRequest.Kind.ERASURE:
                return _erasure_asked(request, dsr)
            if _fulfil_now(request, dsr):
                messages.success(request, "Your copy of your data is ready to download below.")
            else:
                messages.success(
                    request, f"We have your request {dsr.reference} and will answer it in time."
                )
            return redirect("rights:request_detail", dsr_id=dsr.pk)
    right = current_policy().right(kind)
    return render(request, "rights/ask.html", {"form": form, "kind": kind, "right": right})


@customer_required
@require_GET
def request_detail(request: HttpRequest, customer: Customer, dsr_id: uuid.UUID) -> HttpResponse:
    """One of the customer's requests: status, due date, history and any download."""
    dsr = request_for_customer(customer, dsr_id)
    return render(
        request,
        "rights/request_detail.html",
        {
            "dsr": dsr,
            "deadline": dsr_deadline(dsr),
            "history": history_for_person(dsr),
            "exports": [e for e in exports_for_customer(customer) if e.request_id == dsr.pk],
        },
    )


def _download(request: HttpRequest, export: ExportFile, fmt: str, actor: Actor) -> HttpResponse:
    content = export_download(export, fmt, actor=actor, request=request)
    stamp = f"{timezone.localtime(export.created_at):%Y-%m-%d}"
    response = HttpResponse(content, content_type=_CONTENT_TYPES[ExportFile.Format(fmt)])
    # A file to keep, not a page of the site: the document opens from disk, outside our CSP.
    response["Content-Disposition"] = f'attachment; filename="c-mes-my-data-{stamp}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response


@customer_required
@reauthentication_required
@require_GET
def export_download_view(
    request: HttpRequest, customer: Customer, export_id: uuid.UUID, fmt: str
) -> HttpResponse:
    """Download one's own export: signed in, recently re-authenticated (R5); 404 otherwise."""
    export = export_for_owner(customer, export_id)
    return _download(request, export, fmt, Actor.customer(id=request.user.pk))


@require_GET
def export_link(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    """Download through the link emailed to a person without an account; 404 for a wrong,
    altered or expired link."""
    export = export_for_link(token)
    return _download(request, export, fmt, Actor.customer(id=None))


@ratelimit(group="rights.ask", key="ip", rate=ASK_WITHOUT_ACCOUNT_RATE, method="POST")
@require_http_methods(["GET", "POST"])
def ask_without_account(request: HttpRequest) -> HttpResponse:
    """Ask without an account: the request waits until the person follows the emailed link.

    The page after sending is the same whoever the address belongs to, so the form does not
    reveal who has an account (R4).
    """
    if _customer(request) is not None:
        return redirect("rights:centre")
    form = AskWithoutAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        actor = Actor.customer(id=None)
        try:
            dsr = dsr_open(
                kind=form.cleaned_data["kind"],
                channel=DataSubjectRequest.Channel.EMAIL,
                requester_name=form.cleaned_data["requester_name"],
                requester_email=form.cleaned_data["requester_email"],
                details=form.cleaned_data["details"],
                actor=actor,
                request=request,
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            dsr_verification_send(dsr=dsr, actor=actor)
            return redirect("rights:ask_sent")
    return render(request, "rights/ask_without_account.html", {"form": form})


@require_GET
def ask_sent(request: HttpRequest) -> HttpResponse:
    """ "Check your inbox": shows nothing of the request."""
    return render(request, "rights/ask_sent.html")


@ratelimit(group="rights.verify", key="ip", rate=VERIFY_RATE, method="POST")
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button, POST confirms: mail scanners that follow links change nothing."""
    dsr = request_for_verify_token(token)
    if dsr is None:
        return render(request, "rights/link_invalid.html", status=400)
    if request.method == "POST" and not dsr.is_verified and dsr.is_open:
        dsr = dsr_verify(
            dsr=dsr,
            method=DataSubjectRequest.Verification.EMAIL_LINK,
            actor=Actor.customer(id=None),
            request=request,
        )
        return render(request, "rights/verified.html", {"dsr": dsr, "deadline": dsr_deadline(dsr)})
    return render(request, "rights/verify.html", {"dsr": dsr})
