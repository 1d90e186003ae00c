"""Marketing writes, previews and sends campaigns from the staff console; other roles and
customers cannot; bad input is refused with a message naming the field (R8, R38, R40)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tutela.accounts.api import User
from tutela.campaigns.models import Campaign, Delivery
from tutela.campaigns.services import campaign_create
from tutela.campaigns.tests.conftest import PRIYA
from tutela.consent.api import Subscriber
from tutela.customers.api import Customer

DRAFT = {
    "subject": "Spring offers",
    "text_body": "Hello all.\nOur spring range is in.",
    "html_body": '<p>Hello <a href="https://c-mes.co.uk/spring">all</a></p>',
}


def pages(campaign_id: int) -> dict[str, tuple[str, str]]:
    """Every campaign page: name -> (method, path)."""
    base = f"/staff/campaigns/{campaign_id}/"
    return {
        "list": ("get", "/staff/campaigns/"),
        "new": ("get", "/staff/campaigns/new/"),
        "create": ("post", "/staff/campaigns/new/"),
        "detail": ("get", base),
        "edit": ("get", f"{base}edit/"),
        "progress": ("get", f"{base}progress/"),
        "preview": ("get", f"{base}preview.html"),
        "send": ("post", f"{base}send/"),
        "cancel": ("post", f"{base}cancel/"),
    }


@pytest.mark.django_db
def test_marketing_writes_previews_and_sends_a_campaign(
    client: Client,
    make_staff: Callable[..., User],
    make_customer: Callable[..., Customer],
    subscribe: Callable[..., Subscriber],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    subscribe(make_customer(email="ada@example.com"))
    subscribe(email="vi@example.com")
    client.force_login(make_staff(role="marketing", name="Priya"))
    response = client.post("/staff/campaigns/new/", DRAFT)
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/staff/campaigns/{campaign.pk}/"
    assert (campaign.status, campaign.created_by_label) == ("draft", "Priya (marketing)")

    page = client.get(f"/staff/campaigns/{campaign.pk}/").content.decode()
    assert "List-Unsubscribe-Post" in page and "List-Unsubscribe=One-Click" in page
    assert "subscriber@example.invalid" in page and "Unsubscribe with one click" in page
    assert "<strong>2</strong> subscribers whose consent is in force" in page
    assert "ada@example.com" not in page  # counts only, never who
    preview = client.get(f"/staff/campaigns/{campaign.pk}/preview.html")
    assert preview["Content-Security-Policy"].startswith("sandbox;")
    assert b'<a href="https://c-mes.co.uk/spring">all</a>' in preview.content

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/staff/campaigns/{campaign.pk}/send/")
    assert response.status_code == 302
    assert sorted(m.to[0] for m in mail.outbox) == ["ada@example.com", "vi@example.com"]
    campaign.refresh_from_db()
    assert (campaign.status, campaign.sent_by_label) == ("sent", "Priya (marketing)")
    progress = client.get(f"/staff/campaigns/{campaign.pk}/progress/").content.decode()
    assert "<strong>2</strong> sent of 2" in progress and "hx-trigger" not in progress
    listing = client.get("/staff/campaigns/").content.decode()
    assert "Spring offers" in listing and "Sent" in listing

    # Sending again, or changing a sent campaign, is refused and mails no one.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/staff/campaigns/{campaign.pk}/send/", follow=True)
    assert "only a draft can be sent" in response.content.decode() and len(mail.outbox) == 2
    response = client.post(f"/staff/campaigns/{campaign.pk}/edit/", DRAFT | {"subject": "New"})
    assert "only a draft can be changed" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.subject == "Spring offers"


@pytest.mark.django_db
def test_the_progress_panel_polls_while_sending(
    client: Client, make_staff: Callable[..., User]
) -> None:
    campaign = campaign_create(subject="Offers", text_body="Hi.", actor=PRIYA)
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SENDING)
    client.force_login(make_staff(role="marketing"))
    panel = client.get(f"/staff/campaigns/{campaign.pk}/progress/").content.decode()
    assert 'hx-trigger="every 2s"' in panel and "Computing the audience" in panel


@pytest.mark.django_db
def test_the_progress_panel_says_why_people_were_skipped_or_left_out(
    client: Client,
    make_staff: Callable[..., User],
    make_customer: Callable[..., Customer],
    subscribe: Callable[..., Subscriber],
) -> None:
    subscribe(make_customer())
    campaign = campaign_create(subject="Offers", text_body="Hi.", actor=PRIYA)
    Campaign.objects.filter(pk=campaign.pk).update(
        status=Campaign.Status.SENT,
        audience_at=timezone.now(),
        audience_count=3,
        sent_count=1,
        skipped_count=2,
        excluded={"suppressed": 4, "objection": 1},
        skipped_reasons={"withdrawn": 2},
    )
    client.force_login(make_staff(role="marketing"))
    panel = client.get(f"/staff/campaigns/{campaign.pk}/progress/").content.decode()
    assert "on the do-not-email list: 4, objection: 1" in panel
    assert "2 (consent withdrawn since: 2)" in panel


@pytest.mark.django_db
def test_a_draft_can_be_changed_and_cancelled(
    client: Client, make_staff: Callable[..., User]
) -> None:
    campaign = campaign_create(subject="Offers", text_body="Hi.", actor=PRIYA)
    client.force_login(make_staff(role="marketing"))
    response = client.post(f"/staff/campaigns/{campaign.pk}/edit/", DRAFT)
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.subject == "Spring offers" and "spring range" in campaign.text_body
    client.post(f"/staff/campaigns/{campaign.pk}/cancel/")
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.CANCELLED
    assert not Delivery.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("subject", "", "This field is required."),
        ("subject", "   ", "This field is required."),
        ("subject", "Offers\x00", "Null characters are not allowed."),
        ("subject", "<b>Offers</b>", "< and > are not allowed"),
        ("subject", "x" * 151, "at most 150 characters"),
        ("text_body", "", "This field is required."),
        ("text_body", "Click <here>", "< and > are not allowed"),
        ("html_body", "<p>Hi</p><script>alert(1)</script>", "<script> is not allowed"),
        ("html_body", '<img src="https://x.example/a.png" onerror="alert(1)">', "event handlers"),
        ("html_body", '<a href="javascript:alert(1)">Hi</a>', "use a full http: or https:"),
        ("html_body", '<a href=" JaVaScRiPt:alert(1)">Hi</a>', "use a full http: or https:"),
        ("html_body", '<p style="background:url(https://t.example/p)">Hi</p>', "url()"),
        ("html_body", "<iframe src='https://x.example'></iframe>", "<iframe> is not allowed"),
        ("html_body", "<form action='https://x.example'><input></form>", "<form> is not allowed"),
        ("html_body", "<!--[if mso]><script>x</script><![endif]-->", "conditional comments"),
    ],
)
def test_bad_input_is_refused_with_a_message_naming_the_field_and_nothing_is_stored(
    client: Client, make_staff: Callable[..., User], field: str, value: str, message: str
) -> None:
    """R40."""
    client.force_login(make_staff(role="marketing"))
    response = client.post("/staff/campaigns/new/", DRAFT | {field: value})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Campaign.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["support", "privacy_officer", "finance"])
def test_other_roles_get_403_on_every_campaign_page(
    client: Client, make_staff: Callable[..., User], role: str
) -> None:
    """R8: campaigns are marketing's alone."""
    campaign = campaign_create(subject="Offers", text_body="Hi.", actor=PRIYA)
    client.force_login(make_staff(role=role, name="Sam"))
    for name, (method, path) in pages(campaign.pk).items():
        response = getattr(client, method)(path, DRAFT if method == "post" else None)
        assert response.status_code == 403, name
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT and Campaign.objects.count() == 1


@pytest.mark.django_db
def test_customers_and_anonymous_visitors_cannot_reach_the_campaign_pages(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    """R38: a customer gets 403; without signing in, the staff sign-in page."""
    campaign = campaign_create(subject="Offers", text_body="Hi.", actor=PRIYA)
    for name, (method, path) in pages(campaign.pk).items():
        response = getattr(client, method)(path)
        assert response.status_code == 302, name
        assert response["Location"].startswith("/staff/login/"), name
    client.force_login(make_customer().user)
    for name, (method, path) in pages(campaign.pk).items():
        assert getattr(client, method)(path).status_code == 403, name
    assert Campaign.objects.get().status == Campaign.Status.DRAFT


@pytest.mark.django_db
def test_an_unknown_campaign_is_404(client: Client, make_staff: Callable[..., User]) -> None:
    client.force_login(make_staff(role="marketing"))
    assert client.get("/staff/campaigns/999/").status_code == 404
    assert client.post("/staff/campaigns/999/send/").status_code == 404


@pytest.mark.django_db
def test_the_campaign_list_costs_the_same_queries_for_many_campaigns(
    client: Client, make_staff: Callable[..., User], django_assert_num_queries: Callable[..., Any]
) -> None:
    client.force_login(make_staff(role="marketing"))
    campaign_create(subject="One", text_body="Hi.", actor=PRIYA)
    client.get("/staff/campaigns/")  # warm: session, role
    with CaptureQueriesContext(connection) as one:
        client.get("/staff/campaigns/")
    for n in range(10):
        campaign_create(subject=f"More {n}", text_body="Hi.", actor=PRIYA)
    with django_assert_num_queries(len(one.captured_queries)):
        assert client.get("/staff/campaigns/").status_code == 200
