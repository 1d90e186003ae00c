"""Answering an access or portability request: the export, stored encrypted until its link
expires (R9, R10)."""

from __future__ import annotations

import importlib
import json
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from tutela.audit.api import Actor, access_record
from tutela.policy.api import catalog_entries
from tutela.rights import emails
from tutela.rights.models import DataSubjectRequest, ExportFile
from tutela.rights.services.base import (
    ACCESS_KINDS,
    EXPORT_LIFETIME,
    PURPOSE,
    Collect,
    Event,
    ExportUnavailable,
    Status,
    close_done,
    locked_copy,
    need_status,
    record_event,
)

# --- access: the export -----------------------------------------------------------------------


def export_collector() -> Collect | None:
    """`export_collect` of the export library (tutela.rights.export), or None if absent."""
    try:
        module = importlib.import_module("tutela.rights.export")
    except ModuleNotFoundError as exc:
        if exc.name != "tutela.rights.export":
            raise  # the library is there but broken: say so, never hide it
        return None
    collect: Collect | None = getattr(module, "export_collect", None)
    return collect


def _exported_categories() -> tuple[str, ...]:
    """Every category the catalog stores (an export reads them all), except exports themselves."""
    return tuple(
        dict.fromkeys(
            category
            for entry in catalog_entries()
            for category in entry.categories
            if entry.model is not ExportFile
        )
    )


def dsr_fulfil_access(
    *,
    dsr: DataSubjectRequest,
    actor: Actor,
    collect: Collect | None = None,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> ExportFile:
    """Answer a verified access or portability request: build the export of every catalogued
    row about the subject, store it encrypted with a link that expires after EXPORT_LIFETIME,
    close the request and email the person where to download it (R9, R10).

    `collect` defaults to the export library; ExportUnavailable if it is not installed.
    Side effects: an ExportFile, an access-log "export" event, EXPORT_READY and COMPLETED
    history events, and an email (the account holder is sent to the Privacy Centre; a person
    without an account gets signed download links).
    """
    now = now or timezone.now()
    collect = collect or export_collector()
    if collect is None:
        raise ExportUnavailable("the export library (tutela.rights.export) is not installed")
    with transaction.atomic():
        locked = locked_copy(dsr)
        if locked.kind not in ACCESS_KINDS:
            raise ValidationError("Only access and portability requests have an export.")
        need_status(locked, Status.IN_PROGRESS, doing="prepare the copy of the data")
        if not locked.is_verified:  # pragma: no cover - in progress implies verified
            raise ValidationError("Verify the identity first.", code="unverified")
        result = collect(str(locked.subject_id))
        export = ExportFile(
            request=locked,
            subject_id=locked.subject_id,
            json_data=json.dumps(result.to_json(), ensure_ascii=False, indent=2).encode(),
            html_data=result.to_html().encode("utf-8"),
            created_at=now,
            expires_at=now + EXPORT_LIFETIME,
        )
        export.save()
        access_record(
            actor=actor,
            subject=locked.subject_id,
            # The categories the export holds, when the library says; else all it reads.
            categories=tuple(getattr(result, "category_keys", ()) or _exported_categories()),
            purpose=PURPOSE,
            action="export",
            request=request,
            detail=f"access export for {locked.reference}",
        )
        until = f"{timezone.localtime(export.expires_at):%d %B %Y %H:%M}"
        record_event(
            locked, Event.EXPORT_READY, actor, at=now, note=f"Download link works until {until}."
        )
        close_done(
            locked,
            f"A copy of the data was prepared; its download link works until {until}.",
            actor,
            now=now,
        )
        links = {}
        if locked.customer_id is None:
            token = emails.export_token(export)
            links = {
                fmt: emails.absolute_url(
                    reverse("rights:export_link", kwargs={"token": token, "fmt": fmt})
                )
                for fmt in ExportFile.Format.values
            }
        emails.tell_person(locked, "export_ready", until=until, links=links)
    return export


def export_files_purge(*, now: datetime | None = None) -> int:
    """Delete exports whose link has expired (policy: data_exports); returns how many."""
    now = now or timezone.now()
    with transaction.atomic():
        deleted, _ = ExportFile.objects.filter(expires_at__lte=now).delete()
    return deleted
