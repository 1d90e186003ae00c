"""Telling processors of an erasure (Art. 17(2), 19; R18): one recorded task per processor that
received the person's data, sent by a signed webhook where one is configured, else done by hand.

Which processors: those of the policy file's register whose declared categories meet the
categories the person had (the plan's count of catalogued rows); each is told which of those we
erased and which we keep under a legal hold, and until when.

Webhooks (TUTELA_PROCESSOR_WEBHOOKS, {processor key: {"url", "secret"}}): a JSON POST with
    X-Tutela-Delivery: <task id>     (the same on every retry: the receiver's idempotency key)
    X-Tutela-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>
the scheme of Stripe's and GitHub's webhooks, so receivers have libraries for it. Sent with the
standard library: one short request per processor needs no HTTP client dependency. Redirects are
not followed (a signed body must reach the configured address or fail).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tutela.audit.api import Actor
from tutela.policy.api import current_policy
from tutela.rights.models import ErasureRun, ProcessorNotice
from tutela.rights.services.base import actor_label, clean_text

SIGNATURE_HEADER = "X-Tutela-Signature"
DELIVERY_HEADER = "X-Tutela-Delivery"
# Signatures older than this are refused by webhook_signature_valid (replays).
SIGNATURE_TOLERANCE_SECONDS = 300
_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


def webhooks() -> Mapping[str, Mapping[str, str]]:
    """The configured webhook connectors, by processor key."""
    return getattr(settings, "TUTELA_PROCESSOR_WEBHOOKS", {}) or {}


def webhook_problems() -> list[str]:
    """What is wrong with TUTELA_PROCESSOR_WEBHOOKS, as sentences (for the system check)."""
    problems = []
    known = {processor.key for processor in current_policy().processors}
    for key, connector in webhooks().items():
        where = f"TUTELA_PROCESSOR_WEBHOOKS[{key!r}]"
        if key not in known:
            problems.append(f"{where}: no processor {key!r} in the policy's register")
        if not isinstance(connector, Mapping):
            problems.append(f'{where}: expected {{"url": ..., "secret": ...}}')
            continue
        url = str(connector.get("url", ""))
        parts = urlsplit(url)
        if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in _LOOPBACK):
            problems.append(f"{where}: url must be https:// (plain http only to this machine)")
        if len(str(connector.get("secret", ""))) < 16:
            problems.append(f"{where}: secret must be at least 16 characters")
    return problems


def notices_plan(plan: Mapping[str, Any]) -> list[dict[str, Any]]:
    """For each processor that received some of the person's categories: what to erase and
    what we keep (from the run's plan)."""
    had = set(plan.get("categories", ()))
    erased = set(plan.get("erased", ()))
    kept = dict(plan.get("kept", {}))  # category -> hold end (ISO date) or None
    connectors = webhooks()
    tasks = []
    for processor in current_policy().processors:
        received = [key for key in processor.categories if key in had]
        erase = [key for key in received if key in erased]
        if not erase:
            continue  # nothing they received was erased: nothing to tell them (Art. 19)
        tasks.append(
            {
                "processor": processor.key,
                "processor_label": processor.name,
                "erase": erase,
                "keep": [{"category": key, "until": kept[key]} for key in received if key in kept],
                "method": ProcessorNotice.Method.WEBHOOK
                if processor.key in connectors
                else ProcessorNotice.Method.MANUAL,
            }
        )
    return tasks


def notices_create(run: ErasureRun, *, now: datetime) -> list[ProcessorNotice]:
    """Record the run's processor tasks (idempotent: one per processor and run)."""
    existing = set(run.notices.values_list("processor", flat=True))
    new = [
        ProcessorNotice(run=run, subject_id=run.subject_id, created_at=now, **task)
        for task in notices_plan(run.plan)
        if task["processor"] not in existing
    ]
    return ProcessorNotice.objects.bulk_create(new)


# --- Webhooks -------------------------------------------------------------------------------


def payload(notice: ProcessorNotice) -> dict[str, Any]:
    """What a processor's webhook receives: pseudonymous, categories and dates, no values."""
    return {
        "type": "erasure",
        "delivery": str(notice.pk),
        "controller": current_policy().controller.name,
        "processor": notice.processor,
        "subject": str(notice.subject_id),
        "erase": list(notice.erase),
        "keep": list(notice.keep),
        "requested_at": notice.created_at.isoformat(),
    }


def sign(secret: str, body: bytes, *, at: int | None = None) -> str:
    """The signature header's value for a body."""
    stamp = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def webhook_signature_valid(
    secret: str, header: str, body: bytes, *, now: int | None = None
) -> bool:
    """What a receiver checks: the HMAC matches and the time is recent (for receivers and tests)."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        stamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    current = int(time.time()) if now is None else now
    if abs(current - stamp) > SIGNATURE_TOLERANCE_SECONDS:
        return False
    expected = sign(secret, body, at=stamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # urllib then raises HTTPError with the 3xx status


def _post(url: str, body: bytes, headers: Mapping[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")  # noqa: S310 - https or loopback only (webhook_problems)
    opener = urllib.request.build_opener(_NoRedirects)
    timeout = float(getattr(settings, "TUTELA_PROCESSOR_WEBHOOK_TIMEOUT", 10))
    with opener.open(request, timeout=timeout) as response:
        response.read(1024)
        return int(response.status)


def notice_deliver(notice: ProcessorNotice) -> ProcessorNotice:
    """Send one webhook now and record the outcome on the task; never raises for the network.

    Side effects: the POST (outside any transaction: a slow processor must not hold locks),
    then the task updated: delivered, or failed with the reason (the officer sees it, and may
    retry or do it by hand).
    """
    connector = webhooks().get(notice.processor)
    now = timezone.now()
    status: int | None = None
    error = ""
    if connector is None:
        error = "no webhook is configured for this processor any more"
    else:
        body = json.dumps(payload(notice), separators=(",", ":"), sort_keys=True).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Tutela erasure notice",
            DELIVERY_HEADER: str(notice.pk),
            SIGNATURE_HEADER: sign(str(connector["secret"]), body),
        }
        try:
            status = _post(str(connector["url"]), body, headers)
        except urllib.error.HTTPError as exc:
            status, error = exc.code, f"the processor answered HTTP {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            error = f"could not reach the processor: {reason}"[:300]
    delivered = not error and status is not None and 200 <= status < 300
    if not delivered and not error:
        error = f"the processor answered HTTP {status}"
    with transaction.atomic():
        locked = ProcessorNotice.objects.select_for_update().get(pk=notice.pk)
        locked.attempts += 1
        locked.last_attempt_at = now
        locked.response_status = status
        locked.last_error = "" if delivered else error
        if locked.status != ProcessorNotice.Status.DONE:
            locked.status = (
                ProcessorNotice.Status.DELIVERED if delivered else ProcessorNotice.Status.FAILED
            )
        locked.save()
    return locked


def notice_done(*, notice: ProcessorNotice, confirmation: str, actor: Actor) -> ProcessorNotice:
    """The privacy officer told the processor (or saw the webhook answered): the task is done,
    with what the processor confirmed. Refuses an empty or over-long confirmation, storing
    nothing; a task already done stays as it was."""
    confirmation = clean_text(
        confirmation,
        "confirmation",
        required="Say how the processor was told and what it confirmed (no personal data).",
        max_length=1000,
    )
    with transaction.atomic():
        locked = ProcessorNotice.objects.select_for_update().get(pk=notice.pk)
        if locked.status == ProcessorNotice.Status.DONE:
            raise ValidationError("This processor was already ticked off.", code="done")
        locked.status = ProcessorNotice.Status.DONE
        locked.confirmation = confirmation
        locked.done_at = timezone.now()
        locked.done_by = actor_label(actor)
        locked.save()
    return locked


def notice_retry(*, notice: ProcessorNotice) -> ProcessorNotice:
    """Send a failed (or unsent) webhook again; refused for a task done by hand or without one."""
    if notice.method != ProcessorNotice.Method.WEBHOOK or not notice.is_open:
        raise ValidationError("Only a webhook that has not been delivered can be retried.")
    return notice_deliver(notice)
