"""The cookie banner in Chromium: before consent no request reaches the analytics or advertising
host and no such cookie exists; accepting analytics loads only the analytics tag; withdrawing
deletes its cookie; Global Privacy Control keeps advertising off (R27-R29).

Google's hosts cannot be reached here, so the tag URLs point at two stub servers started by the
test; each serves a script that sets the cookie its real tag would (`_ga`, `_gcl_au`), and logs
every request it gets.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tutela.consent.cookies import CHOICE_COOKIE
from tutela.consent.models import CookieChoice
from tutela.consent.tests.cookie_helpers import ADVERTISING_ID, ANALYTICS_ID


class StubTagServer:
    """A local stand-in for a Google tag host: serves a script that sets one cookie."""

    def __init__(self, cookie: str) -> None:
        self.requests: list[str] = []
        body = f'document.cookie = "{cookie}=stub.1; path=/; max-age=3600";\n'.encode()
        requests = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "text/javascript")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet test output

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The script's URL."""
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/gtag/js"

    def __enter__(self) -> StubTagServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stubs(settings: Any) -> Iterator[tuple[StubTagServer, StubTagServer]]:
    """The analytics and advertising stubs, and the settings that point the tags at them; no
    Google host is ever allowed by the CSP in these tests."""
    with StubTagServer("_ga") as analytics, StubTagServer("_gcl_au") as advertising:
        settings.TUTELA_ANALYTICS_ID = ANALYTICS_ID
        settings.TUTELA_ANALYTICS_SCRIPT_URL = analytics.url
        settings.TUTELA_ANALYTICS_CSP_HOSTS = []
        settings.TUTELA_ADVERTISING_ID = ADVERTISING_ID
        settings.TUTELA_ADVERTISING_SCRIPT_URL = advertising.url
        settings.TUTELA_ADVERTISING_CSP_HOSTS = []
        yield analytics, advertising


@pytest.fixture
def chromium() -> Iterator[Any]:
    """Debian's Chromium through Playwright (as tutela/conftest.py's browser_page), so each
    test can open contexts with headers of its own."""
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("TUTELA_CHROMIUM") or shutil.which("chromium")
    if not executable or not os.path.exists(executable):
        pytest.fail("Chromium not found: install Debian's chromium or set TUTELA_CHROMIUM")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()


def cookie_names(context: Any) -> set[str]:
    """Every cookie the browser holds for the site."""
    return {cookie["name"] for cookie in context.cookies()}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_nothing_loads_before_consent_and_analytics_alone_after_accepting_it(
    chromium: Any, live_server: Any, stubs: tuple[StubTagServer, StubTagServer]
) -> None:
    analytics, advertising = stubs
    context = chromium.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        for path in ("/", "/policy/", "/consent/newsletter/"):
            page.goto(path, wait_until="networkidle")
            page.get_by_role("heading", name="Cookies on this site").wait_for()
        assert analytics.requests == [] and advertising.requests == []
        assert cookie_names(context) <= {"csrftoken"}

        # "Choose" opens the groups; nothing is ticked; tick analytics only.
        page.locator("#cookie-banner summary").click()
        assert not page.get_by_label("Analytics").is_checked()
        assert not page.get_by_label("Advertising").is_checked()
        page.get_by_label("Analytics").check()
        with page.expect_navigation():
            page.get_by_role("button", name="Save my choices").click()
        page.wait_for_function("document.cookie.includes('_ga=')")
        page.wait_for_load_state("networkidle")
        assert page.url.endswith("/consent/newsletter/")
        assert page.locator("#cookie-banner").count() == 0
        assert analytics.requests == [f"/gtag/js?id={ANALYTICS_ID}"]
        assert advertising.requests == []
        assert "_gcl_au" not in cookie_names(context)
        # Google's consent mode follows the same choice.
        consent = page.evaluate("Array.from(window.dataLayer[0])")
        assert consent[:2] == ["consent", "default"]
        assert consent[2]["analytics_storage"] == "granted"
        assert consent[2]["ad_storage"] == "denied"
        (choice_cookie,) = [c for c in context.cookies() if c["name"] == CHOICE_COOKIE]
        assert choice_cookie["httpOnly"] and choice_cookie["sameSite"] == "Lax"
        assert page.evaluate("document.cookie").find(CHOICE_COOKIE) == -1
        assert CookieChoice.objects.get().analytics

        # Withdrawing from the footer link is as easy, and the analytics cookie goes at once.
        page.get_by_role("link", name="Cookie settings").click()
        page.get_by_role("heading", name="Cookie settings").wait_for()
        loads = len(analytics.requests)  # the settings page too, while analytics is allowed
        with page.expect_navigation():
            page.get_by_role("button", name="Reject all").click()
        page.get_by_text("Your cookie choices are saved.").wait_for()
        assert "_ga" not in cookie_names(context)
        page.goto("/", wait_until="networkidle")
        assert len(analytics.requests) == loads and advertising.requests == []
        assert "_ga" not in cookie_names(context)
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_global_privacy_control_keeps_advertising_off_after_accept_all(
    chromium: Any, live_server: Any, stubs: tuple[StubTagServer, StubTagServer]
) -> None:
    analytics, advertising = stubs
    context = chromium.new_context(base_url=live_server.url, extra_http_headers={"Sec-GPC": "1"})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto("/", wait_until="networkidle")
        page.get_by_text("Your browser is sending this signal now").wait_for()
        with page.expect_navigation():
            page.get_by_role("button", name="Accept all").click()
        page.wait_for_function("document.cookie.includes('_ga=')")
        page.goto("/policy/", wait_until="networkidle")
        assert len(analytics.requests) == 2
        assert advertising.requests == []
        assert "_gcl_au" not in cookie_names(context)
        choice = CookieChoice.objects.get()
        assert choice.gpc and choice.analytics and not choice.advertising
    finally:
        context.close()
