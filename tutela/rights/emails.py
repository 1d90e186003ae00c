"""Emails to the people who ask and to the privacy officers; plain text, sent after commit.

Each message says only what the person needs (a reference, a date, a reason, a link); never a
copy of their data, which is downloaded from the site. Sent after the change commits, so no
email announces something that was rolled back; robust, so a mail server that is down is logged
and the stored change stands (staff see in the history what was sent).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from tutela.crypto.api import blind_index
from tutela.rights.models import DataSubjectRequest, ExportFile

SUBJECT_PREFIX = "[C-MES] "
# Signed-link salts: a token made for one purpose never opens another.
VERIFY_SALT = "tutela.rights.verify"
EXPORT_SALT = "tutela.rights.export"


def absolute_url(path: str) -> str:
    """The public address of a path, for emails sent with or without a request."""
    return settings.TUTELA_BASE_URL.rstrip("/") + path


def contact_email(dsr: DataSubjectRequest) -> str:
    """Where we write to the person: the address they gave, else their account's; "" if none
    (a request by phone or post without one: staff answer the way it came)."""
    if dsr.requester_email:
        return str(dsr.requester_email)
    if dsr.customer_id is not None:
        return str(dsr.customer.user.email)  # type: ignore[union-attr]
    return ""


def send(template: str, to: str, context: Mapping[str, Any]) -> None:
    """Render rights/email/<template>_subject.txt and _message.txt and send them now."""
    subject = render_to_string(f"rights/email/{template}_subject.txt", dict(context)).strip()
    body = render_to_string(f"rights/email/{template}_message.txt", dict(context))
    send_mail(
        subject=SUBJECT_PREFIX + " ".join(subject.split()),
        message=body,
        from_email=None,
        recipient_list=[to],
    )


def send_on_commit(template: str, to: str, context: Mapping[str, Any]) -> None:
    """`send` once the current transaction commits; a failure is logged, not raised."""
    frozen = dict(context)
    # robust=True: Django logs a failed send and carries on with the other callbacks.
    transaction.on_commit(lambda: send(template, to, frozen), robust=True)


def tell_person(dsr: DataSubjectRequest, template: str, **context: Any) -> bool:
    """Email the person about their request after commit; False if we have no address."""
    to = contact_email(dsr)
    if not to:
        return False
    send_on_commit(
        template,
        to,
        {
            "dsr": dsr,
            "reference": dsr.reference,
            "kind": dsr.get_kind_display(),
            "centre_url": absolute_url(reverse("rights:centre")),
            "has_account": dsr.customer_id is not None,
            **context,
        },
    )
    return True


# --- Signed links --------------------------------------------------------------------------


def _email_tag(dsr: DataSubjectRequest) -> str:
    # Binds a link to the address it was sent to: changing the address voids older links.
    email = str(dsr.requester_email or "")
    return blind_index("rights.requester_email", email)[:16] if email else ""


def verify_token(dsr: DataSubjectRequest) -> str:
    """The token of the link that proves the person reads the address they gave."""
    return signing.dumps({"r": dsr.pk.hex, "e": _email_tag(dsr)}, salt=VERIFY_SALT, compress=True)


def verify_token_open(token: str, *, max_age: timedelta) -> tuple[str, str] | None:
    """(request id hex, email tag) from a good, unexpired token; None otherwise."""
    try:
        data = signing.loads(token, salt=VERIFY_SALT, max_age=max_age)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(data, dict) or not isinstance(data.get("r"), str):
        return None
    return data["r"], str(data.get("e", ""))


def email_tag_matches(dsr: DataSubjectRequest, tag: str) -> bool:
    """Whether a link's email tag is that of the request's current address."""
    return bool(tag) and tag == _email_tag(dsr)


def export_token(export: ExportFile) -> str:
    """The token of the emailed download link of an export (for people without an account)."""
    return signing.dumps(export.pk.hex, salt=EXPORT_SALT)


def export_token_open(token: str, *, max_age: timedelta) -> str | None:
    """The export id hex from a good, unexpired download token; None otherwise."""
    try:
        value = signing.loads(token, salt=EXPORT_SALT, max_age=max_age)
    except signing.BadSignature:
        return None
    return value if isinstance(value, str) else None
