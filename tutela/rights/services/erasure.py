"""Carrying out erasure (R14, R18, R41, R42): a verified request, in recorded steps that resume.

    plan -> rows -> shred -> suppress -> notify -> deliver -> confirm -> forget

plan: what each catalog entry's rows will become, the categories the person had, the addresses
to write to and to suppress (captured now, encrypted on the run under a key of its own).
rows: every catalogued row deleted, anonymised or kept under a legal hold (erasure_rows.py), the
holds recorded with their end dates, the access log written: one transaction, so a failure
leaves nothing half-erased. shred: the person's data keys, every class but FINANCIAL, so copies
in backups become unreadable too. suppress: the address goes on the suppression list as a keyed
hash. notify/deliver: a task per processor, sent by webhook where configured. confirm: the
person is emailed what was erased and what is kept and why; the request is closed. forget: the
captured address is erased and the run's own key shredded.

Each step is recorded (ErasureStep) in the transaction of its change, or, for the key store and
the webhooks, after an idempotent action; a run that failed part-way resumes at the first step
not recorded. Call it outside a transaction (views: `non_atomic_requests`) so each step commits
on its own; inside one, the whole erasure commits or rolls back together.

Reaching the suppression list: rights may not import the consent app (import-linter), so the
function is named by the setting TUTELA_ERASURE_SUPPRESS (a dotted path, "" for none), resolved
when used; wiring one app to another is configuration's job, as Django does with its backends,
and the consent app needs no change to serve it. It is called as
`f(email, "erasure", actor=actor, request=request)` and returns whether the address is new.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.checks import Error, run_checks
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.module_loading import import_string

from tutela.audit.api import Actor, access_record
from tutela.crypto.api import (
    ERASED,
    KeyClass,
    erased_column_value,
    is_erased,
    subjects_shred,
)
from tutela.policy.api import Erasure, current_policy
from tutela.rights import emails
from tutela.rights.models import DataSubjectRequest, ErasureRun, ErasureStep, ProcessorNotice
from tutela.rights.services.base import PURPOSE, Kind, Status, close_done, locked_copy
from tutela.rights.services.erasure_notify import notice_deliver, notices_create
from tutela.rights.services.erasure_rows import (
    SHREDDED_KEY_CLASSES,
    Found,
    find,
    hold_plans,
    rows_erase,
    shredded_categories,
    walk,
)

logger = logging.getLogger(__name__)
Step = ErasureRun.Step
STEPS: tuple[str, ...] = tuple(Step.values)


class ErasureRefused(ValidationError):
    """The erasure may not start: not an erasure request, not verified, closed, no master key."""


class ErasureInterrupted(RuntimeError):
    """A step failed; what came before it stands, and running the erasure again resumes."""

    def __init__(self, step: str, cause: BaseException) -> None:
        super().__init__(
            f"The erasure stopped at step '{Step(step).label}' ({type(cause).__name__}: {cause})."
            " Everything before that step is done and recorded; run it again to finish."
        )
        self.step = step


class InjectedFailure(RuntimeError):
    """Raised where TUTELA_ERASURE_FAIL_AT names a step (tests of resuming; never set it live)."""


@dataclass
class ErasureReport:
    """What one call did: the steps it ran now; none when the erasure was already complete."""

    run: ErasureRun
    already_complete: bool = False
    steps: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """One sentence for staff."""
        if self.already_complete:
            when = timezone.localtime(self.run.finished_at or self.run.started_at)
            return f"Already erased on {when:%d %B %Y %H:%M}; nothing was changed."
        if self.steps and self.steps[0] == Step.PLAN:
            return f"Erasure carried out: all {len(self.steps)} steps done."
        return f"Erasure resumed and finished: {', '.join(self.steps)} done now."


# --- The plan -------------------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def plan_of(found: Found, subject: str, *, now: datetime) -> dict[str, Any]:
    """The plan for one subject: per catalog entry its action and rows; the categories they
    had, those erasure removes (deleted, emptied, minimised or shredded) and those it keeps
    readable, until when; the holds. JSON, no personal values."""
    counts = found.of(subject)
    plan = walk()
    entries = []
    had: dict[str, None] = {}
    erased: dict[str, None] = {}
    for entry in plan.entries:
        rows = counts.get(entry.label, 0)
        minimised = [name for name in plan.overwrites[entry.label] if name in entry.fields]
        if rows:
            had.update(dict.fromkeys(entry.categories))
            if entry.erasure is Erasure.LEGAL_HOLD:
                erased.update(
                    dict.fromkeys(c for name in minimised for c in entry.field_categories(name))
                )
                erased.update(dict.fromkeys(shredded_categories([entry.label])))
            else:
                erased.update(dict.fromkeys(entry.categories))
        entries.append(
            {
                "label": entry.label,
                "name": str(entry.model._meta.verbose_name_plural),
                "action": entry.erasure.value,
                "rows": rows,
                "categories": list(entry.categories),
                "minimised": minimised if entry.erasure is Erasure.LEGAL_HOLD else [],
                "kept": list(plan.kept[entry.label]),
                "retention": entry.retention,
            }
        )
    holds = hold_plans(found, subject, now=now, plan=plan)
    # Category -> the last day any hold keeps it readable (None: until a purpose ends).
    kept: dict[str, str | None] = {}
    for hold in holds:
        until = _iso(hold.ends_at)
        for category in hold.categories:
            if category not in kept:
                kept[category] = until
            elif kept[category] is not None:
                kept[category] = None if until is None else max(str(kept[category]), until)
    return {
        "entries": entries,
        "categories": list(had),
        "erased": list(erased),
        "kept": kept,
        "holds": [
            {
                "retention": hold.retention,
                "sources": list(hold.sources),
                "categories": list(hold.categories),
                "starts_at": _iso(hold.starts_at),
                "ends_at": _iso(hold.ends_at),
                "reason": hold.reason,
            }
            for hold in holds
        ],
    }


def erasure_preview(subject_id: str, *, now: datetime | None = None) -> dict[str, Any]:
    """The dry run: what erasing this subject would do, per catalog entry; changes nothing."""
    subject = str(subject_id)
    return plan_of(find([subject]), subject, now=now or timezone.now())


# --- Checks before starting -----------------------------------------------------------------


def _keys_ready() -> None:
    """Refuse, changing nothing, when the master key is missing or wrong (crypto's own check)."""
    problems = [m.msg for m in run_checks(tags=["tutela_crypto"]) if isinstance(m, Error)]
    if problems:
        raise ErasureRefused(
            "The master key is not available, so nothing was erased: " + " ".join(problems),
            code="no_master_key",
        )


def _check_request(dsr: DataSubjectRequest) -> None:
    if dsr.kind != Kind.ERASURE:
        raise ErasureRefused("Only an erasure request is carried out this way.", code="kind")
    if dsr.status == Status.AWAITING_VERIFICATION or not dsr.is_verified:
        raise ErasureRefused(
            "The person's identity is not verified yet: nothing is erased before it is (R12).",
            code="unverified",
        )
    if dsr.status != Status.IN_PROGRESS:
        raise ErasureRefused(
            f"The request is {dsr.get_status_display().lower()}: only a request in progress is "
            "carried out.",
            code="status",
        )


def _addresses(dsr: DataSubjectRequest) -> dict[str, Any]:
    """Where the confirmation goes, and every address of theirs to suppress."""
    found = [str(dsr.requester_email or "")]
    if dsr.customer_id is not None:
        found.append(str(dsr.customer.user.email))  # type: ignore[union-attr]
    usable = [a.strip() for a in found if a and a.strip() and not is_erased(a)]
    suppress = list(dict.fromkeys(a.casefold() for a in usable))
    return {"to": usable[0] if usable else "", "suppress": suppress}


# --- Steps ----------------------------------------------------------------------------------


def _inject(step: str) -> None:
    if getattr(settings, "TUTELA_ERASURE_FAIL_AT", "") == step:
        raise InjectedFailure(f"failure injected at step {step} (TUTELA_ERASURE_FAIL_AT)")


def _locked(run: ErasureRun, step: str) -> ErasureRun | None:
    """The run locked for a step, or None when that step is already recorded (a concurrent
    call, or a resumed one, did it)."""
    locked = ErasureRun.objects.select_for_update().get(pk=run.pk)
    if ErasureStep.objects.filter(run=locked, step=step).exists():
        return None
    return locked


def _done(run: ErasureRun, step: str, summary: dict[str, Any], *, now: datetime) -> None:
    _inject(step)
    ErasureStep.objects.create(run=run, step=step, done_at=now, summary=summary)


def _plan(dsr: DataSubjectRequest, actor: Actor, now: datetime) -> tuple[ErasureRun, bool]:
    """The run of the request, planned now (True) or by a concurrent call (False)."""
    with transaction.atomic():
        locked = locked_copy(dsr)
        existing = ErasureRun.objects.filter(request=locked).first()
        if existing is not None:
            return existing, False
        _check_request(locked)
        subject = str(locked.subject_id)
        run = ErasureRun(
            request=locked,
            subject_id=locked.subject_id,
            started_at=now,
            started_by=actor.label,
            plan=plan_of(find([subject]), subject, now=now),
            contact_emails=_addresses(locked),
        )
        run.save()
        rows = sum(entry["rows"] for entry in run.plan["entries"])
        _done(run, Step.PLAN, {"rows": rows}, now=now)
    return run, True


def _detail(run: ErasureRun) -> str:
    return f"erasure {run.request.reference}"


def _rows(run: ErasureRun, actor: Actor, request: HttpRequest | None, now: datetime) -> bool:
    """Every catalogued row deleted, anonymised or held, the holds and the log: one transaction."""
    with transaction.atomic():
        locked = _locked(run, Step.ROWS)
        if locked is None:
            return False
        result = rows_erase(
            subjects=[str(run.subject_id)],
            actor=actor,
            purpose=PURPOSE,
            detail=_detail(run),
            now=now,
            run=locked,
            request=request,
        )
        summary = {"deleted": result.deleted, "changed": result.changed, "holds": len(result.holds)}
        _done(locked, Step.ROWS, summary, now=now)
    return True


def _shred(run: ErasureRun, actor: Actor, request: HttpRequest | None, now: datetime) -> bool:
    """The person's data keys destroyed, every class but FINANCIAL (idempotent)."""
    with transaction.atomic():
        locked = _locked(run, Step.SHRED)
        if locked is None:
            return False
        result = subjects_shred(
            subjects=[run.subject_id],
            key_classes=SHREDDED_KEY_CLASSES,
            actor_label=actor.label,
            reason=_detail(run),
        )
        categories = shredded_categories([e["label"] for e in run.plan["entries"] if e["rows"]])
        if categories:
            access_record(
                actor=actor,
                subject=run.subject_id,
                categories=categories,
                purpose=PURPOSE,
                action="shred",
                request=request,
                detail=f"{_detail(run)}: data keys destroyed",
            )
        summary = {"shredded": result.shredded, "already": result.already_shredded}
        _done(locked, Step.SHRED, summary, now=now)
    return True


def suppressor() -> Callable[..., Any] | None:
    """The suppression list's entry point (TUTELA_ERASURE_SUPPRESS), or None if unset."""
    path = getattr(settings, "TUTELA_ERASURE_SUPPRESS", "")
    return import_string(path) if path else None


def _suppress(run: ErasureRun, actor: Actor, request: HttpRequest | None, now: datetime) -> bool:
    """The captured addresses on the suppression list, as keyed hashes (idempotent)."""
    hook = suppressor()
    with transaction.atomic():
        locked = _locked(run, Step.SUPPRESS)
        if locked is None:
            return False
        addresses = list(locked.contact_emails.get("suppress", ())) if hook else []
        added = 0
        for address in addresses:
            added += bool(hook and hook(address, "erasure", actor=actor, request=request))
        if addresses:
            access_record(
                actor=actor,
                subject=run.subject_id,
                categories=("privacy_choices",),
                purpose=PURPOSE,
                action="create",
                request=request,
                detail=f"{_detail(run)}: address kept on the suppression list as a keyed hash",
            )
        summary = {"addresses": len(addresses), "added": added, "list": bool(hook)}
        _done(locked, Step.SUPPRESS, summary, now=now)
    return True


def _notify(run: ErasureRun, actor: Actor, request: HttpRequest | None, now: datetime) -> bool:
    """A task per processor that received the person's data (one per processor and run)."""
    with transaction.atomic():
        locked = _locked(run, Step.NOTIFY)
        if locked is None:
            return False
        created = notices_create(locked, now=now)
        _done(locked, Step.NOTIFY, {"tasks": len(created)}, now=now)
    return True


def _deliver(run: ErasureRun, actor: Actor, request: HttpRequest | None, now: datetime) -> bool:
    """The webhooks not yet sent; each outcome recorded on its task."""
    waiting = run.notices.filter(
        method=ProcessorNotice.Method.WEBHOOK, status=ProcessorNotice.Status.PENDING
    )
    for notice in waiting:
        notice_deliver(notice)
    with transaction.atomic():
        locked = _locked(run, Step.DELIVER)
        if locked is None:
            return False
        statuses = list(locked.notices.values_list("status", flat=True))
        summary = {
            status: statuses.count(status)
            for status in ProcessorNotice.Status.values
            if status in statuses
        }
        _done(locked, Step.DELIVER, summary, now=now)
    return True


def _confirm(run: ErasureRun, actor: Actor, request: HttpRequest | None, now: datetime) -> bool:
    """The confirmation emailed (at least once), then the request closed."""
    if ErasureStep.objects.filter(run=run, step=Step.CONFIRM).exists():
        return False
    to = str(run.contact_emails.get("to", ""))
    if to:
        # Before the transaction: a failure after sending and before recording sends it again
        # on the re-run (at least once), rather than never.
        emails.send("erased", to, confirmation_context(run))
    with transaction.atomic():
        locked = _locked(run, Step.CONFIRM)
        if locked is None:
            return False
        dsr = locked_copy(run.request)
        if dsr.status == Status.IN_PROGRESS:
            # The request's notes are encrypted under the person's shredded keys: what was
            # done is on the run (staff page and the email), the note is the erased marker.
            close_done(dsr, ERASED, actor, now=now)
        _done(locked, Step.CONFIRM, {"emailed": bool(to)}, now=now)
    return True


def _forget(run: ErasureRun, actor: Actor, request: HttpRequest | None, now: datetime) -> bool:
    """The captured addresses erased, and the run's own key shredded."""
    with transaction.atomic():
        locked = _locked(run, Step.FORGET)
        if locked is None:
            return False
        ErasureRun.objects.filter(pk=run.pk).update(
            contact_emails=erased_column_value(),
            status=ErasureRun.Status.DONE,
            finished_at=now,
            last_error="",
        )
        subjects_shred(
            subjects=[run.pk],
            key_classes=[KeyClass.ACCOUNT],
            actor_label=actor.label,
            reason=f"{_detail(run)} finished: the addresses captured for it are no longer needed",
        )
        _done(locked, Step.FORGET, {}, now=now)
    return True


# Each returns False when the step was already recorded (by a concurrent call).
_RUNNERS: dict[str, Callable[[ErasureRun, Actor, HttpRequest | None, datetime], bool]] = {
    Step.ROWS: _rows,
    Step.SHRED: _shred,
    Step.SUPPRESS: _suppress,
    Step.NOTIFY: _notify,
    Step.DELIVER: _deliver,
    Step.CONFIRM: _confirm,
    Step.FORGET: _forget,
}


def _record_failure(run: ErasureRun, step: str, exc: BaseException) -> None:
    logger.exception("erasure run %s stopped at step %s", run.pk, step)
    ErasureRun.objects.filter(pk=run.pk).update(
        last_error=f"{step}: {type(exc).__name__}: {exc}"[:500], last_error_at=timezone.now()
    )


# --- The service ----------------------------------------------------------------------------


def dsr_fulfil_erasure(
    *,
    dsr: DataSubjectRequest,
    actor: Actor,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> ErasureReport:
    """Carry out a verified erasure request, or finish one that stopped part-way.

    Side effects, in order (module docstring): rows deleted, anonymised or minimised as the
    catalog says; legal holds recorded with their end dates; the person's data keys shredded
    for every class but FINANCIAL; their address(es) on the suppression list as a keyed hash; a
    task per processor that received their data, webhooks sent; a confirmation emailed; the
    request closed; the captured addresses forgotten. Each write is access-logged as `actor`.

    Keeps, on purpose: financial records (orders, lines, payments minimised, invoices) under
    the FINANCIAL key until their hold ends; the request, its history and this run (evidence of
    the answer, minimised); the access log; consent records; the suppression hash.

    Refuses (ErasureRefused, nothing changed): another kind of request, an unverified or closed
    one, a missing or wrong master key. A complete erasure is not run again: the report says
    so and nothing changes. ErasureInterrupted when a step fails; call again to resume.
    """
    if dsr.kind != Kind.ERASURE:
        raise ErasureRefused("Only an erasure request is carried out this way.", code="kind")
    run = ErasureRun.objects.filter(request=dsr).first()
    if run is not None and run.status == ErasureRun.Status.DONE:
        return ErasureReport(run=run, already_complete=True)
    if run is None:
        _check_request(dsr)
    _keys_ready()
    report_steps: list[str] = []
    if run is None:
        started = now or timezone.now()
        try:
            run, planned = _plan(dsr, actor, started)
        except ErasureRefused:
            raise
        except Exception as exc:
            raise ErasureInterrupted(Step.PLAN, exc) from exc
        if planned:
            report_steps.append(Step.PLAN)
    done = set(run.steps.values_list("step", flat=True))
    for step in STEPS:
        if step in done or step == Step.PLAN:
            continue
        try:
            ran = _RUNNERS[step](run, actor, request, now or timezone.now())
        except Exception as exc:
            _record_failure(run, step, exc)
            raise ErasureInterrupted(step, exc) from exc
        if ran:
            report_steps.append(step)
    run.refresh_from_db()
    return ErasureReport(run=run, steps=report_steps)


# --- Bulk -----------------------------------------------------------------------------------


@dataclass
class BulkErasure:
    """What subjects_erase did, in counts."""

    subjects: int = 0
    deleted: dict[str, int] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)
    holds: int = 0
    keys_shredded: int = 0


def subjects_erase(
    *,
    subject_ids: Sequence[Any],
    actor: Actor,
    detail: str,
    purpose: str = PURPOSE,
    batch_size: int = 500,
) -> BulkErasure:
    """Erase many subjects at once, as the retention sweep does: per batch, each catalog entry
    is walked once for the whole batch, then the batch's keys are shredded together.

    Side effects per batch, as for one erasure's rows and shred steps: rows deleted, anonymised
    or minimised, legal holds recorded, access-log events per subject, data keys shredded (all
    classes but FINANCIAL), in one transaction (the key store's part commits with it when it
    shares the database, else right after; shredding is idempotent, so a re-run completes).
    Keeps what one erasure keeps. Does not suppress addresses, tell processors or email anyone:
    the sweep is not a request (the caller does what its rule requires). Refuses, changing
    nothing, when the master key is missing.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    _keys_ready()
    subjects = list(dict.fromkeys(str(s) for s in subject_ids))
    report = BulkErasure(subjects=len(subjects))
    for start in range(0, len(subjects), batch_size):
        batch = subjects[start : start + batch_size]
        now = timezone.now()
        with transaction.atomic():
            result = rows_erase(
                subjects=batch, actor=actor, purpose=purpose, detail=detail, now=now
            )
            shred = subjects_shred(
                subjects=batch,
                key_classes=SHREDDED_KEY_CLASSES,
                actor_label=actor.label,
                reason=detail,
            )
        for label, count in result.deleted.items():
            report.deleted[label] = report.deleted.get(label, 0) + count
        for label, count in result.changed.items():
            report.changed[label] = report.changed.get(label, 0) + count
        report.holds += len(result.holds)
        report.keys_shredded += shred.shredded
    return report


# --- The confirmation -----------------------------------------------------------------------


def _day(text: str | None) -> str:
    if not text:
        return "until the purpose ends"
    return f"until {date.fromisoformat(text[:10]):%d %B %Y}"


def confirmation_context(run: ErasureRun) -> dict[str, Any]:
    """What the confirmation says: erased categories, each hold (what, until, why), the
    suppression hash, the processors told. From the run's plan: labels and dates only."""
    policy = current_policy()
    labels = {category.key: category.label for category in policy.categories}
    erased = [labels.get(c, c) for c in run.plan.get("erased", ())]
    holds = [
        {
            "what": ", ".join(source["name"] for source in hold["sources"]),
            "readable": ", ".join(labels.get(c, c) for c in hold["categories"]),
            "until": _day(hold["ends_at"]),
            "why": hold["reason"],
        }
        for hold in run.plan.get("holds", ())
    ]
    return {
        "reference": run.request.reference,
        "erased": erased,
        "holds": holds,
        "suppressed": bool(run.contact_emails.get("suppress")) and bool(suppressor()),
        "processors": [notice.processor_label for notice in run.notices.all()],
        "controller": policy.controller.name,
        "regulator": policy.regulator,
    }


def shredded_categories_for(run: ErasureRun) -> tuple[str, ...]:
    """The categories the shred step made unreadable for this run (for staff pages)."""
    return shredded_categories([e["label"] for e in run.plan.get("entries", ()) if e["rows"]])
