"""Fixtures shared by every app's tests: real services, built through the project's own code."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache

from tutela.customers.api import Customer, customer_signup

DEMO_PASSWORD = "correct horse battery staple"


def customer_details(**overrides: Any) -> dict[str, Any]:
    """A valid set of registration details; override any field."""
    details: dict[str, Any] = {
        "full_name": "Ada Lovelace",
        "company_name": "Analytical Engines Ltd",
        "field_of_activity": "Engineering",
        "address_line1": "12 Marylebone Road",
        "address_line2": "",
        "city": "London",
        "postcode": "NW1 5LR",
        "country": "GB",
        "phone": "+442080684673",
        "phone_alt": "",
    }
    details.update(overrides)
    return details


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    """Rate-limit counters live in the cache (locmem or Redis); each test starts from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_customer(db: None) -> Callable[..., Customer]:
    """Create a verified customer through the real sign-up service."""
    counter = iter(range(1, 10_000))

    def make(email: str | None = None, password: str = DEMO_PASSWORD, **details: Any) -> Customer:
        return customer_signup(
            email=email or f"customer{next(counter)}@example.com",
            password=password,
            details=customer_details(**details),
            email_verified=True,
        )

    return make


@pytest.fixture
def browser_page(live_server: Any) -> Iterator[Any]:
    """A page in Debian's Chromium driven by Playwright, pointed at the live test server.

    No browser download: Playwright drives the system Chromium through `executable_path`. The
    flags keep Chromium off the network (this machine has none) and headless.
    """
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("TUTELA_CHROMIUM") or shutil.which("chromium")
    if not executable or not os.path.exists(executable):
        pytest.fail("Chromium not found: install Debian's chromium or set TUTELA_CHROMIUM")
    # Playwright's sync API runs an event loop in this thread; the ORM calls our tests make
    # alongside it are still synchronous and safe.
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
        context = browser.new_context(base_url=live_server.url)
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()
