"""Writes for applications: each refuses bad input with a ValidationError and then stores nothing.

Customers writing on their own application are not access-logged (R7 logs staff, jobs and the
API, and the person is writing their own data); every write by anyone else is, in the same
transaction as the write.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import models, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from tutela.audit.api import Actor, ActorKind, access_record
from tutela.customers.api import Customer
from tutela.policy.api import catalog_entry_for
from tutela.support.attachments import CheckedUpload, Upload, attachments_check
from tutela.support.models import Application, Attachment, Message

logger = logging.getLogger(__name__)

# Crockford's base 32 (no I, L, O or U, which read as digits or words): easy to read aloud.
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# What staff may leave an application as after replying; "open" means "our turn", which a
# reply ends.
STAFF_REPLY_STATUSES = (
    Application.Status.ANSWERED,
    Application.Status.WAITING_FOR_CUSTOMER,
    Application.Status.CLOSED,
)


def _new_reference() -> str:
    """A random reference such as A-7K3M-9QXD (40 bits, checked unused; the column is unique)."""
    for _ in range(10):
        code = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
        reference = f"A-{code[:4]}-{code[4:]}"
        if not Application.objects.filter(reference=reference).exists():
            return reference
    raise RuntimeError("could not draw an unused application reference")  # pragma: no cover


def _validated_message(
    application: Application,
    *,
    body: str,
    uploads: Sequence[Upload],
    author: str,
    staff_label: str = "",
    errors: dict[str, list[str]],
) -> tuple[Message, list[CheckedUpload]]:
    """An unsaved message and its checked files; problems are added to `errors` by field."""
    message = Message(
        application=application,
        subject_id=application.subject_id,
        author=author,
        staff_label=staff_label,
        body=body.strip(),
    )
    checked: list[CheckedUpload] = []
    try:
        message.full_clean(exclude=["application"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        checked = attachments_check(list(uploads))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    return message, checked


def _message_save(message: Message, files: list[CheckedUpload]) -> None:
    """Save a validated message and its attachments (inside the caller's transaction)."""
    message.save()
    for checked in files:
        Attachment(
            message=message,
            subject_id=message.subject_id,
            filename=checked.filename,
            content_type=checked.content_type,
            size=len(checked.content),
            content=checked.content,
            created_at=message.created_at,
        ).save()


def _record(
    actor: Actor,
    application: Application,
    *,
    action: str,
    detail: str,
    model: type[models.Model],
    request: HttpRequest | None,
) -> None:
    """Log a write by anyone but the customer themselves (R7), in the caller's transaction."""
    if actor.kind == ActorKind.CUSTOMER:
        return
    entry = catalog_entry_for(model)
    access_record(
        actor=actor,
        subject=application.subject_id,
        categories=entry.categories,
        purpose=entry.purpose,
        action=action,
        request=request,
        detail=f"{detail} {application.reference}",
    )


def application_open(
    *,
    customer: Customer,
    subject_line: str,
    body: str,
    attachments: Sequence[Upload] = (),
    actor: Actor,
) -> Application:
    """Open an application for a customer with its first message and any attachments.

    Refuses with a ValidationError keyed by field (subject_line, body, attachments), every
    problem at once, storing nothing: an empty or too long subject or message, text that is not
    plain, or any bad file (see attachments.attachments_check).
    """
    now = timezone.now()
    application = Application(
        customer=customer,
        subject_id=customer.subject_id,
        subject_line=subject_line.strip(),
        status=Application.Status.OPEN,
        customer_wrote_at=now,
        created_at=now,
        updated_at=now,
    )
    errors: dict[str, list[str]] = {}
    try:
        application.full_clean(exclude=["customer", "reference"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    message, files = _validated_message(
        application, body=body, uploads=attachments, author=Message.Author.CUSTOMER, errors=errors
    )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        application.reference = _new_reference()
        application.save()
        message.created_at = now
        _message_save(message, files)
        _record(
            actor,
            application,
            action="create",
            detail="opened application",
            model=Message,
            request=None,
        )
    return application


def application_reply(
    *,
    application: Application,
    customer: Customer,
    body: str,
    attachments: Sequence[Upload] = (),
    actor: Actor,
) -> Message:
    """The customer's reply; it reopens the application (status open: our turn to answer).

    Refuses, storing nothing, another customer's application (PermissionDenied) or bad input
    (ValidationError keyed by body / attachments).
    """
    if application.customer_id != customer.pk:
        raise PermissionDenied("Only the customer who opened an application replies to it.")
    errors: dict[str, list[str]] = {}
    message, files = _validated_message(
        application, body=body, uploads=attachments, author=Message.Author.CUSTOMER, errors=errors
    )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        now = timezone.now()
        message.application = locked
        message.created_at = now
        _message_save(message, files)
        Application.objects.filter(pk=locked.pk).update(
            status=Application.Status.OPEN, customer_wrote_at=now, updated_at=now, closed_at=None
        )
        _record(
            actor,
            locked,
            action="create",
            detail="reply on application",
            model=Message,
            request=None,
        )
    application.refresh_from_db(fields=["status", "customer_wrote_at", "updated_at", "closed_at"])
    return message


def _status_set(
    application: Application, status: str, *, actor: Actor, request: HttpRequest | None
) -> bool:
    """Set the status (and closed_at) under a row lock; False when it already had it."""
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if locked.status == status:
            return False
        now = timezone.now()
        Application.objects.filter(pk=locked.pk).update(
            status=status,
            updated_at=now,
            closed_at=now if status == Application.Status.CLOSED else None,
        )
        _record(
            actor,
            locked,
            action="change",
            detail=f"status {locked.status} -> {status} of application",
            model=Application,
            request=request,
        )
    application.refresh_from_db(fields=["status", "updated_at", "closed_at"])
    return True


def application_close(*, application: Application, customer: Customer, actor: Actor) -> bool:
    """The customer closes their application; True if it was not closed already."""
    if application.customer_id != customer.pk:
        raise PermissionDenied("Only the customer who opened an application closes it.")
    return _status_set(application, Application.Status.CLOSED, actor=actor, request=None)


def application_status_set(
    *,
    application: Application,
    status: str,
    actor: Actor,
    request: HttpRequest | None = None,
) -> bool:
    """Staff set an application's status; True if it changed (then logged, R7)."""
    if status not in Application.Status.values:
        labels = ", ".join(str(label) for label in Application.Status.labels)
        raise ValidationError({"status": f"Choose one of: {labels}."})
    return _status_set(application, status, actor=actor, request=request)


def application_staff_reply(
    *,
    application: Application,
    body: str,
    status: str = Application.Status.ANSWERED,
    attachments: Sequence[Upload] = (),
    actor: Actor,
    request: HttpRequest | None = None,
) -> Message:
    """Our staff's reply, then the status they chose; the customer is emailed that a reply is
    waiting, with a link and never the reply itself (an email is less private than the account).

    Side effects: the message and any attachments, the new status, one access-log event, and
    after commit one email to the customer's sign-in address. Refuses, storing and sending
    nothing, bad input (ValidationError keyed by body / attachments / status).
    """
    errors: dict[str, list[str]] = {}
    if status not in STAFF_REPLY_STATUSES:
        labels = ", ".join(Application.Status(s).label for s in STAFF_REPLY_STATUSES)
        errors["status"] = [f"After a reply, choose one of: {labels}."]
    message, files = _validated_message(
        application,
        body=body,
        uploads=attachments,
        author=Message.Author.STAFF,
        staff_label=actor.label,
        errors=errors,
    )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        now = timezone.now()
        message.application = locked
        message.created_at = now
        _message_save(message, files)
        Application.objects.filter(pk=locked.pk).update(
            status=status,
            updated_at=now,
            closed_at=now if status == Application.Status.CLOSED else None,
        )
        _record(
            actor,
            locked,
            action="create",
            detail="staff reply on application",
            model=Message,
            request=request,
        )
        email = Customer.objects.select_related("user").get(pk=locked.customer_id).user.email
        reference, application_id = locked.reference, locked.pk
        # After commit, so no email announces a reply that was rolled back; robust, so a mail
        # server that is down is logged and the stored reply stands (the customer sees it in
        # their account).
        transaction.on_commit(
            lambda: reply_notification_send(
                email=email, reference=reference, application_id=application_id
            ),
            robust=True,
        )
    application.refresh_from_db(fields=["status", "updated_at", "closed_at"])
    return message


def reply_notification_send(*, email: str, reference: str, application_id: uuid.UUID) -> None:
    """Tell the customer a reply is waiting: the reference and a link, never the content."""
    link = settings.TUTELA_BASE_URL.rstrip("/") + reverse(
        "support:application_detail", kwargs={"application_id": application_id}
    )
    send_mail(
        subject=f"[C-MES] A reply to your application {reference}",
        message=(
            "Hello,\n\n"
            f"We have replied to your application {reference}.\n\n"
            "To read the reply, sign in to your personal account:\n"
            f"{link}\n\n"
            "For your privacy, we do not put the reply itself in an email.\n\n"
            "C-MES Solutions Ltd\n"
        ),
        from_email=None,
        recipient_list=[email],
    )
    logger.info("reply notification sent for application %s", reference)
