"""Sending through the task backend: every message with the footer and one-click headers, each
recipient checked again at the moment of sending, at most once each, logged in bulk (R7, R23,
R25, R41)."""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.utils import timezone

from tutela.audit.api import AccessEvent
from tutela.campaigns.models import Campaign, Delivery
from tutela.campaigns.sending import (
    MailServerUnavailable,
    campaign_audience_freeze,
    campaign_send_batch,
    campaign_send_run,
)
from tutela.campaigns.services import campaign_cancel, campaign_create
from tutela.campaigns.tasks import campaign_send_task, campaigns_resume_task
from tutela.campaigns.tests.conftest import PRIYA, TEST_BLOCKER, VISITOR
from tutela.consent.api import (
    Channel,
    Subscriber,
    SuppressedAddress,
    email_suppress,
    newsletter_unsubscribe,
    unsubscribe_url,
)
from tutela.customers.api import Customer

HERE = "tutela.campaigns.tests.test_sending"


class RefusingBackend(LocmemBackend):
    """A server that refuses addresses at refused.example (unknown user)."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for message in email_messages:
            if message.to[0].endswith("@refused.example"):
                raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"no such user")})
        return super().send_messages(email_messages)


class HangingUpBackend(LocmemBackend):
    """A server that takes `budget` messages, then hangs up."""

    budget = 1

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        if HangingUpBackend.budget <= 0:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        HangingUpBackend.budget -= 1
        return super().send_messages(email_messages)


class DyingBackend(LocmemBackend):
    """The sending process is killed after the first message (no chance to record anything)."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        if mail.outbox:
            raise SystemExit("killed")
        return super().send_messages(email_messages)


class UnreachableBackend(BaseEmailBackend):
    """No mail server answers."""

    def open(self) -> bool:
        raise ConnectionRefusedError(111, "Connection refused")

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        raise AssertionError("never reached: open() fails first")


def deliveries(campaign: Campaign) -> dict[str, list[str]]:
    """{status: [reason, ...]} of a campaign's delivery records."""
    found: dict[str, list[str]] = {}
    for status, reason in Delivery.objects.filter(campaign=campaign).values_list(
        "status", "reason"
    ):
        found.setdefault(status, []).append(reason)
    return found


@pytest.mark.django_db
def test_a_send_through_the_worker_delivers_each_message_with_footer_and_one_click_headers(
    subscribe: Callable[..., Subscriber],
    make_customer: Callable[..., Customer],
    send_campaign: Callable[..., Campaign],
) -> None:
    customer = subscribe(make_customer(email="ada@example.com"))
    visitor = subscribe(email="vi@example.com")
    campaign = send_campaign()
    assert campaign.status == Campaign.Status.SENT and campaign.sent_at is not None
    assert (campaign.audience_count, campaign.sent_count, campaign.skipped_count) == (2, 2, 0)
    assert sorted(m.to[0] for m in mail.outbox) == ["ada@example.com", "vi@example.com"]
    for message, subscriber in (
        (next(m for m in mail.outbox if m.to == ["ada@example.com"]), customer),
        (next(m for m in mail.outbox if m.to == ["vi@example.com"]), visitor),
    ):
        url = unsubscribe_url(subscriber.pk)
        assert message.subject == "[C-MES] Spring offers"
        assert message.extra_headers["List-Unsubscribe"] == f"<{url}>"
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message.body.startswith("Hello all.") and url in message.body
        assert isinstance(message, EmailMultiAlternatives)
        html, mime = message.alternatives[0]
        assert mime == "text/html" and "<b>all</b>" in str(html) and url in str(html)
        sent = message.message()
        assert sent["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert set(deliveries(campaign)) == {Delivery.Status.SENT}


@pytest.mark.django_db
def test_a_second_run_sends_nobody_the_campaign_twice(
    subscribe: Callable[..., Subscriber],
    make_customer: Callable[..., Customer],
    send_campaign: Callable[..., Campaign],
) -> None:
    for _ in range(3):
        subscribe(make_customer())
    campaign = send_campaign()
    assert len(mail.outbox) == 3
    campaign_send_task.enqueue(campaign.pk)  # a duplicate task, or a resumed one
    result = campaign_send_run(campaign.pk)
    assert result.sent == 0 and len(mail.outbox) == 3
    assert Delivery.objects.filter(campaign=campaign).count() == 3


@pytest.mark.django_db
def test_a_crash_mid_batch_never_resends_and_the_resume_finishes_the_campaign(
    subscribe: Callable[..., Subscriber],
    make_customer: Callable[..., Customer],
    settings: Any,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """At most once: what was claimed before the crash is never claimed again."""
    for _ in range(3):
        subscribe(make_customer())
    settings.EMAIL_BACKEND = f"{HERE}.DyingBackend"
    campaign = campaign_create(subject="Offers", text_body="Hi.", actor=PRIYA)
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SENDING)
    with pytest.raises(SystemExit):
        campaign_send_run(campaign.pk)
    assert len(mail.outbox) == 1  # one went out, then the process died
    assert deliveries(campaign) == {Delivery.Status.CLAIMED: ["", "", ""]}

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    campaign_send_run(campaign.pk)  # restarted at once: the claimed rows are left alone
    assert len(mail.outbox) == 1
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENDING

    # After the stall time the resume job marks them interrupted (not resent) and finishes.
    stalled = timezone.now() - timedelta(minutes=settings.TUTELA_CAMPAIGN_STALL_MINUTES + 1)
    Delivery.objects.filter(campaign=campaign).update(claimed_at=stalled)
    Campaign.objects.filter(pk=campaign.pk).update(progress_at=stalled)
    assert campaigns_resume_task.call() == 1  # enqueues the send, which runs at once here
    assert len(mail.outbox) == 1
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT
    assert (campaign.sent_count, campaign.failed_count) == (0, 3)
    assert deliveries(campaign) == {Delivery.Status.FAILED: ["interrupted"] * 3}


@pytest.mark.django_db
def test_each_recipient_is_checked_again_when_their_turn_comes(
    subscribe: Callable[..., Subscriber],
    make_customer: Callable[..., Customer],
    objectors: set[int],
) -> None:
    """Withdrawn, suppressed (by address only) or blocked after the audience was computed:
    skipped with the reason, and no email (R25)."""
    keeps = subscribe(make_customer(email="keeps@example.com"))
    leaves = subscribe(make_customer())
    bounced = subscribe(make_customer(email="bounced@example.com"))
    objector = make_customer()
    objects = subscribe(objector)
    visitor = subscribe(email="vi@example.com")
    campaign = campaign_create(subject="Offers", text_body="Hi.", actor=PRIYA)
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SENDING)
    assert campaign_audience_freeze(campaign.pk)
    assert not campaign_audience_freeze(campaign.pk)  # once only
    for gone in (leaves, visitor):  # a visitor's address is deleted when they leave
        newsletter_unsubscribe(
            subscriber=gone, channel=Channel.EMAIL_LINK, evidence="link", actor=VISITOR
        )
    # Suppressed by address alone (a bounce with no subject linked): only the send sees it.
    email_suppress("bounced@example.com", SuppressedAddress.Reason.BOUNCE)
    objectors.add(objector.pk)
    campaign_send_run(campaign.pk)
    assert [m.to for m in mail.outbox] == [["keeps@example.com"]]
    campaign.refresh_from_db()
    assert campaign.audience_count == 5 and campaign.sent_count == 1
    assert campaign.skipped_reasons == {"withdrawn": 2, "suppressed": 1, TEST_BLOCKER: 1}
    reasons = dict(
        Delivery.objects.filter(campaign=campaign).values_list("subscriber_id", "reason")
    )
    assert reasons == {
        keeps.pk: "",
        leaves.pk: "withdrawn",
        visitor.pk: "withdrawn",
        bounced.pk: "suppressed",
        objects.pk: TEST_BLOCKER,
    }


@pytest.mark.django_db
def test_every_address_read_is_logged_in_one_access_log_batch_per_send_batch(
    subscribe: Callable[..., Subscriber],
    make_customer: Callable[..., Customer],
    send_campaign: Callable[..., Campaign],
    settings: Any,
) -> None:
    """R7: who (the campaign's job, and who pressed send), whose address, why."""
    settings.TUTELA_CAMPAIGN_BATCH_SIZE = 2
    subjects = {subscribe(make_customer()).subject_id for _ in range(3)}
    campaign = send_campaign()
    events = list(AccessEvent.objects.filter(actor_label=f"newsletter campaign #{campaign.pk}"))
    assert {event.subject for event in events} == {str(s) for s in subjects} and len(events) == 3
    assert {(e.actor_kind, e.action, e.purpose, e.categories) for e in events} == {
        ("system", "read", "marketing_email", "contact_email")
    }
    assert "sent by Priya (marketing)" in events[0].detail
    assert len({event.occurred_at for event in events}) == 2  # two batches: 2 + 1


@pytest.mark.django_db
def test_a_refused_address_fails_alone_and_the_others_are_sent(
    subscribe: Callable[..., Subscriber],
    send_campaign: Callable[..., Campaign],
    settings: Any,
) -> None:
    subscribe(email="gone@refused.example")
    subscribe(email="here@example.com")
    settings.EMAIL_BACKEND = f"{HERE}.RefusingBackend"
    campaign = send_campaign()
    assert [m.to for m in mail.outbox] == [["here@example.com"]]
    assert campaign.status == Campaign.Status.SENT
    assert (campaign.sent_count, campaign.failed_count) == (1, 1)
    assert deliveries(campaign)[Delivery.Status.FAILED] == ["recipient_refused"]


@pytest.mark.django_db
def test_a_server_that_hangs_up_fails_only_the_message_in_flight(
    subscribe: Callable[..., Subscriber],
    make_customer: Callable[..., Customer],
    settings: Any,
) -> None:
    for _ in range(4):
        subscribe(make_customer())
    settings.EMAIL_BACKEND = f"{HERE}.HangingUpBackend"
    HangingUpBackend.budget = 1
    campaign = campaign_create(subject="Offers", text_body="Hi.", actor=PRIYA)
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SENDING)
    with pytest.raises(MailServerUnavailable, match="2 recipient"):
        campaign_send_run(campaign.pk)
    assert len(mail.outbox) == 1
    found = deliveries(campaign)
    assert found[Delivery.Status.FAILED] == ["interrupted:SMTPServerDisconnected"]
    assert len(found[Delivery.Status.PENDING]) == 2  # given back, unsent
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    campaign_send_run(campaign.pk)
    assert len(mail.outbox) == 3  # the two given back; the one in flight is not resent
    campaign.refresh_from_db()
    assert (campaign.status, campaign.sent_count, campaign.failed_count) == ("sent", 3, 1)


@pytest.mark.django_db
def test_an_unreachable_mail_server_claims_nobody(
    subscribe: Callable[..., Subscriber], settings: Any
) -> None:
    subscribe(email="wait@example.com")
    settings.EMAIL_BACKEND = f"{HERE}.UnreachableBackend"
    campaign = campaign_create(subject="Offers", text_body="Hi.", actor=PRIYA)
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SENDING)
    with pytest.raises(MailServerUnavailable, match="cannot reach"):
        campaign_send_run(campaign.pk)
    assert deliveries(campaign) == {Delivery.Status.PENDING: [""]}


@pytest.mark.django_db
def test_a_cancelled_send_sends_no_further_email(
    subscribe: Callable[..., Subscriber],
    make_customer: Callable[..., Customer],
    settings: Any,
) -> None:
    for _ in range(3):
        subscribe(make_customer())
    campaign = campaign_create(subject="Offers", text_body="Hi.", actor=PRIYA)
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SENDING)
    campaign_audience_freeze(campaign.pk)
    with LocmemBackend() as connection:
        assert campaign_send_batch(campaign.pk, size=1, connection=connection) is not None
    campaign_cancel(campaign=campaign, actor=PRIYA)
    result = campaign_send_run(campaign.pk)
    assert result.sent == 0 and not result.finished and len(mail.outbox) == 1
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.CANCELLED and campaign.sent_count == 1


@pytest.mark.django_db
def test_an_empty_audience_finishes_at_once(send_campaign: Callable[..., Campaign]) -> None:
    campaign = send_campaign()
    assert campaign.status == Campaign.Status.SENT and campaign.audience_count == 0
    assert not mail.outbox
