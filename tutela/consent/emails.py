"""The newsletter's emails: the double opt-in link, and the one function every newsletter or
campaign message is built with (footer link plus RFC 2369 / RFC 8058 headers, R23)."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, send_mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape

from tutela.consent.selectors import Recipient
from tutela.consent.tokens import CONFIRM_MAX_AGE, confirm_token, unsubscribe_token
from tutela.policy.api import current_policy

SUBJECT_PREFIX = "[C-MES] "


def absolute_url(path: str) -> str:
    """The public address of a path, for emails sent with or without a request."""
    return settings.TUTELA_BASE_URL.rstrip("/") + path


def unsubscribe_url(subscriber_id: uuid.UUID) -> str:
    """The recipient's own unsubscribe link (GET shows a button; POST is one-click)."""
    token = unsubscribe_token(subscriber_id)
    return absolute_url(reverse("consent:unsubscribe", kwargs={"token": token}))


def confirmation_send_on_commit(
    *, to: str, subscriber_id: uuid.UUID, pending_since: datetime
) -> None:
    """Email the double opt-in link once the transaction commits; a failure is logged only."""
    token = confirm_token(subscriber_id, pending_since)
    context = {
        "link": absolute_url(reverse("consent:confirm", kwargs={"token": token})),
        "days": CONFIRM_MAX_AGE.days,
    }

    def send() -> None:
        subject = render_to_string("consent/email/confirm_subject.txt", context).strip()
        send_mail(
            subject=SUBJECT_PREFIX + " ".join(subject.split()),
            message=render_to_string("consent/email/confirm_message.txt", context),
            from_email=None,
            recipient_list=[to],
        )

    # robust=True: Django logs a failed send and carries on; the person can ask again.
    transaction.on_commit(send, robust=True)


def _footer(url: str) -> tuple[str, str]:
    phone = current_policy().contacts.phone
    text = (
        "\n\n-- \n"
        "You receive this because you subscribed to the C-MES Solutions newsletter.\n"
        f"Unsubscribe with one click: {url}\n"
        "Or in your personal account (Feedback > Email Management > Mail Subscriptions), "
        f"or call our customer service on {phone}.\n"
    )
    html = (
        '<hr><p style="font-size:small">You receive this because you subscribed to the C-MES '
        f'Solutions newsletter. <a href="{escape(url)}">Unsubscribe</a> with one click, or in '
        "your personal account (Feedback &gt; Email Management &gt; Mail Subscriptions), or call "
        f"our customer service on {escape(phone)}.</p>"
    )
    return text, html


def newsletter_message(
    recipient: Recipient,
    *,
    subject: str,
    text: str,
    html: str | None = None,
    from_email: str | None = None,
    connection: BaseEmailBackend | None = None,
) -> EmailMultiAlternatives:
    """One recipient's newsletter email, ready to send: the footer with their own unsubscribe
    link, and `List-Unsubscribe` + `List-Unsubscribe-Post: List-Unsubscribe=One-Click`.

    Builds; never sends and never checks consent: the caller passes a Recipient from
    selectors.newsletter_recipient (or a campaign's audience, computed at send time) and sends
    the message, usually many over one `connection`. The headers must be covered by the DKIM
    signature of the sending server (mailbox providers require it for one-click).
    """
    url = unsubscribe_url(recipient.subscriber_id)
    text_footer, html_footer = _footer(url)
    message = EmailMultiAlternatives(
        subject=SUBJECT_PREFIX + " ".join(subject.split()),
        body=text + text_footer,
        from_email=from_email,
        to=[recipient.email],
        connection=connection,
        headers={
            "List-Unsubscribe": f"<{url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    if html is not None:
        message.attach_alternative(html + html_footer, "text/html")
    return message
