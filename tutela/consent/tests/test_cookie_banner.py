"""Cookie consent without JavaScript: nothing but strictly necessary cookies and no Google tag
until the visitor opts in, per group; "Reject all" as easy as "Accept all"; Global Privacy
Control; choices recorded and asked again when the notice changes (PECR reg. 6, R27-R29)."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from tutela.audit.api import Actor, AppendOnlyError
from tutela.consent.cookies import (
    CHOICE_COOKIE,
    _choice_value,
    choice_max_age,
    cookie_notice,
    tags_for,
)
from tutela.consent.middleware import CookieConsentMiddleware
from tutela.consent.models import Channel, ConsentRecord, CookieChoice
from tutela.consent.services import cookie_choice_record
from tutela.consent.tests.cookie_helpers import (
    ADVERTISING_ID,
    ANALYTICS_ID,
    cookies_deleted,
    cookies_set,
    csp,
    necessary_cookie_names,
    parse,
)
from tutela.customers.models import Customer
from tutela.policy.api import catalog_entry_for, current_policy

COOKIES = "/consent/cookies/"
PAGES = ["/", "/policy/", "/consent/newsletter/", "/accounts/login/", "/account/contact/"]
GOOGLE = ("google", "doubleclick")


@pytest.fixture(autouse=True)
def _tags(settings: Any) -> None:
    """Both Google tags configured, at their real URLs: only consent may load them."""
    settings.TUTELA_ANALYTICS_ID = ANALYTICS_ID
    settings.TUTELA_ADVERTISING_ID = ADVERTISING_ID


def choose(client: Client, action: str, *allow: str, next: str = "/", **headers: str) -> Any:
    """Post the banner's form as a browser without JavaScript does."""
    data: dict[str, Any] = {"action": action, "next": next}
    if allow:
        data["allow"] = list(allow)
    return client.post(COOKIES, data, headers=headers)


def loaded(response: Any) -> set[str]:
    """The Google tags a page loads, by id."""
    found = set()
    for src in parse(response).tag_scripts():
        for tag_id in (ANALYTICS_ID, ADVERTISING_ID):
            if f"id={tag_id}" in src:
                found.add(tag_id)
    return found


@pytest.mark.django_db
@pytest.mark.parametrize("path", [*PAGES, COOKIES])
def test_before_any_choice_only_strictly_necessary_cookies_and_no_tag_or_google_host(
    client: Client, path: str
) -> None:
    """R27: no non-essential cookie, no analytics or advertising script, and a CSP that would
    refuse Google's hosts anyway; the banner is on every page (the settings page is the form)."""
    response = client.get(path)
    assert response.status_code == 200
    assert set(cookies_set(response)) <= necessary_cookie_names() - {CHOICE_COOKIE}
    page = parse(response)
    assert page.tag_scripts() == []
    assert not any(host in csp(response) for host in GOOGLE)
    assert page.banner is (path != COOKIES)
    assert "Cookie settings" in page.text
    assert not CookieChoice.objects.exists()


@pytest.mark.django_db
def test_reject_all_is_the_same_button_as_accept_all_and_nothing_is_pre_ticked(
    client: Client,
) -> None:
    """R28, no dark patterns: the two answers are the same element with the same class, side
    by side; "Choose" opens a box per group read from the policy file, none ticked."""
    page = parse(client.get("/"))
    reject, accept = page.button("reject_all"), page.button("accept_all")
    assert (reject["tag"], reject["class"], reject["type"]) == ("button", "cookie-button", "submit")
    assert (accept["tag"], accept["class"], accept["type"]) == ("button", "cookie-button", "submit")
    assert (reject["text"], accept["text"]) == ("Reject all", "Accept all")
    groups = {str(g.category): g for g in current_policy().cookies}
    assert {box["value"] for box in page.boxes} == {"preferences", "analytics", "advertising"}
    assert not any("checked" in box for box in page.boxes)
    assert "Choose" in page.text and "Always on" in page.text
    for group in groups.values():
        assert group.label in page.text and group.description in page.text
    assert "Google Analytics" in page.text and "Google remarketing (Google Ads)" in page.text
    assert "Carrying on browsing is not agreeing" in page.text


@pytest.mark.django_db
def test_accepting_analytics_loads_the_analytics_tag_and_not_the_advertising_one(
    client: Client,
) -> None:
    response = choose(client, "choose", "analytics")
    assert response.status_code == 302 and response["Location"] == "/"
    choice = CookieChoice.objects.get()
    assert (choice.method, choice.preferences, choice.analytics, choice.advertising) == (
        "choose",
        False,
        True,
        False,
    )
    notice = cookie_notice()
    assert (choice.notice_version, choice.notice_sha256) == (notice.version, notice.sha256)
    assert set(cookies_set(response)) <= necessary_cookie_names()

    home = client.get("/")
    assert loaded(home) == {ANALYTICS_ID}
    assert not parse(home).banner
    policy = csp(home)
    assert "https://www.googletagmanager.com" in policy and "google-analytics.com" in policy
    assert "doubleclick" not in policy and "googleadservices" not in policy
    # Allowing Google's hosts never takes our own away (connect-src had fallen back to 'self').
    assert "connect-src 'self'" in policy
    assert set(cookies_set(home)) <= necessary_cookie_names()


@pytest.mark.django_db
def test_accept_all_loads_both_tags_and_reject_all_records_a_refusal_and_loads_none(
    client: Client,
) -> None:
    choose(client, "accept_all")
    assert loaded(client.get("/")) == {ANALYTICS_ID, ADVERTISING_ID}
    response = choose(client, "reject_all")
    assert response.status_code == 302
    accepted, refused = CookieChoice.objects.order_by("id")
    assert accepted.allowed_groups == {"preferences", "analytics", "advertising"}
    assert refused.method == "reject_all" and refused.allowed_groups == frozenset()
    # One browser, one id: the refusal is linked to the consent it replaces.
    assert refused.visitor_id == accepted.visitor_id
    home = client.get("/")
    assert loaded(home) == set() and not parse(home).banner
    assert not any(host in csp(home) for host in GOOGLE)


@pytest.mark.django_db
def test_another_browser_does_not_share_the_choice(client: Client) -> None:
    """A choice belongs to the browser that made it: another one is asked for its own."""
    choose(client, "accept_all")
    other = Client()
    page = other.get("/")
    assert parse(page).banner and loaded(page) == set()


@pytest.mark.django_db
def test_withdrawing_deletes_the_groups_cookies_from_the_browser_at_once(
    client: Client,
) -> None:
    """The policy's advertising rule: "withdrawing consent removes the cookie at once"; the
    same for analytics."""
    choose(client, "accept_all")
    client.cookies["_ga"] = "GA1.1.123.456"
    client.cookies["_ga_TEST0001"] = "GS1.1.789"
    client.cookies["_gcl_au"] = "1.1.42"
    assert cookies_deleted(client.get("/")) == set()
    response = choose(client, "choose", "analytics")
    assert cookies_deleted(response) == {"_gcl_au"}
    response = choose(client, "reject_all")
    assert cookies_deleted(response) == {"_ga", "_ga_TEST0001"}


@pytest.mark.django_db
def test_the_choice_cookie_is_strictly_necessary_httponly_lax_secure_and_lasts_a_year(
    client: Client,
) -> None:
    """The policy's preference_cookies rule (P1Y) sets its lifetime, at most 12 months."""
    response = choose(client, "reject_all")
    morsel = cookies_set(response)[CHOICE_COOKIE]
    assert morsel["httponly"] is True and morsel["samesite"] == "Lax"
    # Tests run with production settings: Secure, like the session cookie.
    assert morsel["secure"] is True and settings.SESSION_COOKIE_SECURE
    assert morsel["max-age"] == 365 * 24 * 3600 == choice_max_age().total_seconds()
    assert morsel["path"] == "/"
    # It names no one: a random id, the groups, the notice's hash and the time, signed.
    assert str(CookieChoice.objects.get().visitor_id.hex) in morsel.value


@pytest.mark.django_db
def test_gpc_turns_advertising_off_even_after_accept_all(client: Client) -> None:
    """R29: `Sec-GPC: 1` refuses advertising, and the banner says so."""
    page = parse(client.get("/", headers={"Sec-GPC": "1"}))
    assert "Your browser is sending this signal now" in page.text
    (ads_box,) = [box for box in page.boxes if box["value"] == "advertising"]
    assert "disabled" in ads_box
    choose(client, "accept_all", **{"Sec-GPC": "1"})
    choice = CookieChoice.objects.get()
    assert choice.gpc and choice.analytics and choice.preferences and not choice.advertising
    home = client.get("/", headers={"Sec-GPC": "1"})
    assert loaded(home) == {ANALYTICS_ID}
    assert "doubleclick" not in csp(home)
    # A shared cache keeps apart the pages of visitors with other choices or signals.
    assert {"Cookie", "Sec-GPC"} <= {v.strip() for v in home["Vary"].split(",")}


@pytest.mark.django_db
def test_gpc_overrides_an_earlier_consent_to_advertising_on_every_request(
    client: Client,
) -> None:
    choose(client, "accept_all")
    assert ADVERTISING_ID in loaded(client.get("/"))
    client.cookies["_gcl_au"] = "1.1.42"
    with_gpc = client.get("/", headers={"Sec-GPC": "1"})
    assert loaded(with_gpc) == {ANALYTICS_ID}
    assert cookies_deleted(with_gpc) == {"_gcl_au"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('version: "1.0"', 'version: "1.1"'),
        (
            "description: Google Analytics statistics on how our sites are used.",
            "description: Google Analytics statistics on how our sites and shop are used.",
        ),
    ],
    ids=["policy version", "cookie group text"],
)
def test_a_changed_cookie_policy_asks_again(
    client: Client, settings: Any, tmp_path: Path, old: str, new: str
) -> None:
    """The stored choice counts only under the notice it was made under."""
    choose(client, "accept_all")
    assert not parse(client.get("/")).banner
    before = cookie_notice()
    text = Path(settings.TUTELA_POLICY_FILE).read_text(encoding="utf-8")
    assert text.count(old) == 1
    changed = tmp_path / "changed.yaml"
    changed.write_text(text.replace(old, new), encoding="utf-8")
    settings.TUTELA_POLICY_FILE = changed
    assert cookie_notice().sha256 != before.sha256
    client.cookies["_ga"] = "GA1.1.123.456"
    home = client.get("/")
    page = parse(home)
    assert page.banner and "Please choose your cookies again" in page.text
    assert loaded(home) == set() and not any(host in csp(home) for host in GOOGLE)
    assert cookies_deleted(home) == {"_ga"}
    # Choosing again records the new notice, for the same browser.
    choose(client, "choose", "analytics")
    latest = CookieChoice.objects.order_by("-id").first()
    assert latest is not None and latest.notice_sha256 == cookie_notice().sha256
    assert CookieChoice.objects.values("visitor_id").distinct().count() == 1
    assert loaded(client.get("/")) == {ANALYTICS_ID}


@pytest.mark.django_db
def test_a_choice_older_than_its_lifetime_asks_again(client: Client) -> None:
    too_old = int(time.time() - choice_max_age().total_seconds() - 60)
    client.cookies[CHOICE_COOKIE] = _choice_value(
        uuid.uuid4(), ["analytics"], cookie_notice().sha256, too_old
    )
    page = parse(client.get("/"))
    assert page.banner and page.tag_scripts() == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "value",
    ["garbage", "0" * 32 + ".analytics+advertising.abc.1:forged", ""],
    ids=["garbage", "forged", "empty"],
)
def test_a_forged_choice_cookie_counts_for_nothing(client: Client, value: str) -> None:
    client.cookies[CHOICE_COOKIE] = value
    response = client.get("/")
    assert parse(response).banner and loaded(response) == set()
    assert not any(host in csp(response) for host in GOOGLE)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"action": "choose", "allow": ["analytics", "tracking"]},
            "tracking is not a cookie group you can choose; the groups are preferences, "
            "analytics, advertising.",
        ),
        (
            {"action": "accept_all", "allow": ["strictly_necessary"]},
            "strictly_necessary is not a cookie group you can choose",
        ),
        ({"action": "accept_everything"}, "Press “Accept all”, “Reject all” or “Save my choices”."),
        ({"allow": ["analytics"]}, "Press “Accept all”, “Reject all” or “Save my choices”."),
        ({}, "Press “Accept all”, “Reject all” or “Save my choices”."),
        ({"action": "choose", "next": "x" * 2001}, "at most 2000 characters"),
    ],
    ids=[
        "unknown group",
        "necessary is no choice",
        "unknown button",
        "no button",
        "empty post",
        "long next",
    ],
)
def test_bad_posts_are_refused_with_a_clear_message_and_nothing_stored(
    client: Client, make_customer: Callable[..., Customer], data: dict[str, Any], message: str
) -> None:
    client.force_login(make_customer().user)
    response = client.post(COOKIES, data)
    assert response.status_code == 400
    page = parse(response)
    assert message in page.text and "Nothing was saved." in page.text
    assert CHOICE_COOKIE not in response.cookies
    assert not CookieChoice.objects.exists() and not ConsentRecord.objects.exists()


@pytest.mark.django_db
def test_the_service_refuses_unknown_groups_and_methods_by_field() -> None:
    visitor = Actor.customer(id=None)
    with pytest.raises(ValidationError) as caught:
        cookie_choice_record(
            visitor_id=None, method="maybe", allowed=["tracking"], gpc=False, actor=visitor
        )
    assert set(caught.value.message_dict) == {"action", "allow"}
    assert "'tracking' is not a cookie group" in caught.value.message_dict["allow"][0]
    assert not CookieChoice.objects.exists()


@pytest.mark.django_db
def test_next_is_followed_only_within_the_site(client: Client) -> None:
    assert choose(client, "reject_all", next="/policy/")["Location"] == "/policy/"
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        assert choose(client, "reject_all", next=target)["Location"] == COOKIES


@pytest.mark.django_db
def test_a_signed_in_customers_choices_go_into_the_consent_ledger(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    """Under the policy's consent purposes of each group: analytics; remarketing and
    personalised_ads. Preferences rest on legitimate interests, so they have no ledger entry."""
    customer = make_customer()
    client.force_login(customer.user)

    def ledger() -> list[tuple[str, str]]:
        return [
            (r.purpose, r.event_type)
            for r in ConsentRecord.objects.filter(pii_principal_id=customer.subject_id)
        ]

    choose(client, "accept_all")
    given = ConsentRecord.EventType.GIVEN
    withdrawn = ConsentRecord.EventType.WITHDRAWN
    assert ledger() == [
        ("analytics", given),
        ("remarketing", given),
        ("personalised_ads", given),
    ]
    record = ConsentRecord.objects.first()
    assert record is not None
    choice = CookieChoice.objects.get()
    assert record.collection_method == Channel.WEB_FORM and record.event_by == "data subject"
    assert record.notice_sha256 == choice.notice_sha256 == cookie_notice().sha256
    assert str(choice.record_id) in record.evidence and "Accept all" in record.evidence

    choose(client, "choose", "analytics", "preferences")
    assert ledger()[3:] == [("remarketing", withdrawn), ("personalised_ads", withdrawn)]
    choose(client, "choose", "analytics", "preferences")  # no change: nothing new
    assert len(ledger()) == 5
    choose(client, "reject_all")
    assert ledger()[5:] == [("analytics", withdrawn)]
    history = client.get("/consent/subscriptions/").content.decode()
    assert "Statistics on how our sites are used" in history
    assert "Remarketing with Google" in history


@pytest.mark.django_db
def test_a_customers_refusal_of_what_was_never_given_records_nothing_in_the_ledger(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    client.force_login(make_customer().user)
    choose(client, "reject_all")
    assert CookieChoice.objects.get().method == "reject_all"
    assert not ConsentRecord.objects.exists()


@pytest.mark.django_db
def test_cookie_choices_are_append_only() -> None:
    choice = cookie_choice_record(
        visitor_id=None,
        method="accept_all",
        allowed=[],
        gpc=False,
        actor=Actor.customer(id=None),
    )
    choice.analytics = False
    with pytest.raises(AppendOnlyError, match="save\\(\\) of an existing row"):
        choice.save()
    with pytest.raises(AppendOnlyError, match="delete"):
        choice.delete()
    with pytest.raises(AppendOnlyError, match="update"):
        CookieChoice.objects.update(analytics=False)
    with pytest.raises(AppendOnlyError, match="delete"):
        CookieChoice.objects.all().delete()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE consent_cookiechoice SET analytics = %s", [False])
    assert CookieChoice.objects.get().analytics is True


@pytest.fixture
def middleware_run(db: None) -> Iterator[Callable[..., HttpResponse]]:
    """Run the middleware around a view that sets the cookies given."""
    factory = RequestFactory()

    def run(cookies: dict[str, str], choice: str = "", path: str = "/") -> HttpResponse:
        def view(request: HttpRequest) -> HttpResponse:
            response = HttpResponse("ok")
            for name, value in cookies.items():
                response.set_cookie(name, value)
            return response

        request = factory.get(path)
        if choice:
            request.COOKIES[CHOICE_COOKIE] = choice
        return CookieConsentMiddleware(view)(request)  # type: ignore[return-value]

    yield run


def test_a_cookie_a_view_sets_is_sent_only_if_its_group_is_allowed(
    middleware_run: Callable[..., HttpResponse], caplog: pytest.LogCaptureFixture
) -> None:
    """Prior blocking on the server: a view cannot set a cookie the visitor did not allow, and
    a cookie no group declares is dropped and logged."""
    cookies = {"_ga": "GA1.1", "_gcl_au": "1.1", "tracker": "x", "csrftoken": "t" * 32}
    with caplog.at_level(logging.WARNING, logger="tutela.consent.cookies"):
        assert set(cookies_set(middleware_run(cookies))) == {"csrftoken"}
    assert "'tracker'" in caplog.text and "in no cookie group" in caplog.text
    analytics_only = _choice_value(
        uuid.uuid4(), ["analytics"], cookie_notice().sha256, int(time.time())
    )
    assert set(cookies_set(middleware_run(cookies, analytics_only))) == {"csrftoken", "_ga"}


def test_staff_pages_never_load_tags(settings: Any) -> None:
    request = RequestFactory().get("/staff/")
    request.COOKIES[CHOICE_COOKIE] = _choice_value(
        uuid.uuid4(), ["analytics", "advertising"], cookie_notice().sha256, int(time.time())
    )
    assert tags_for(request) == ()
    public = RequestFactory().get("/")
    public.COOKIES = request.COOKIES
    assert {tag.group for tag in tags_for(public)} == {"analytics", "advertising"}


def test_no_tag_loads_without_an_id_even_with_consent(settings: Any) -> None:
    """A deployment that sets no Google ids sends nothing to Google."""
    settings.TUTELA_ANALYTICS_ID = ""
    settings.TUTELA_ADVERTISING_ID = ""
    request = RequestFactory().get("/")
    request.COOKIES[CHOICE_COOKIE] = _choice_value(
        uuid.uuid4(), ["analytics", "advertising"], cookie_notice().sha256, int(time.time())
    )
    assert tags_for(request) == ()


@pytest.mark.django_db
def test_the_settings_page_lists_every_cookie_and_says_continued_use_is_not_consent(
    client: Client,
) -> None:
    page = parse(client.get(COOKIES))
    for name in ("sessionid", "csrftoken", "messages", CHOICE_COOKIE, "_ga", "_gcl_*"):
        assert name in page.text
    assert "You have not chosen yet" in page.text
    assert "That is not consent under the law (PECR reg. 6" in page.text
    assert "https://tools.google.com/dlpage/gaoptout" in page.text
    choose(client, "choose", "analytics", next=COOKIES)
    after = parse(client.get(COOKIES))
    assert "Analytics allowed" in after.text and "Advertising refused" in after.text
    (analytics_box,) = [box for box in after.boxes if box["value"] == "analytics"]
    assert "checked" in analytics_box  # the visitor's own earlier answer, shown back to them


def test_cookie_choices_are_catalogued_with_the_policys_categories() -> None:
    entry = catalog_entry_for(CookieChoice)
    assert set(entry.categories) == {"online_identifiers", "privacy_choices"}
    assert entry.retention == "cookie_choices" and entry.purpose == "legal_compliance"
    rule = next(r for r in current_policy().retention if r.key == "cookie_choices")
    assert str(rule.duration) == "7 years"
    assert choice_max_age() <= timedelta(days=365)


@pytest.mark.django_db
def test_choices_are_rate_limited_per_address(client: Client) -> None:
    """Each choice is a row: a script posting in a loop is stopped with a 429 (R40)."""
    for _ in range(30):
        assert choose(client, "reject_all").status_code == 302
    response = choose(client, "accept_all")
    assert response.status_code == 429
    assert CookieChoice.objects.count() == 30
    assert not CookieChoice.objects.filter(analytics=True).exists()
