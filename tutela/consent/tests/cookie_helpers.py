"""Helpers for the cookie tests: read a page's scripts, buttons and boxes, and a response's
cookies, the way a browser would see them."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from django.conf import settings

from tutela.consent.cookies import CHOICE_COOKIE

ANALYTICS_ID = "G-TEST0001"
ADVERTISING_ID = "AW-TEST0002"


def necessary_cookie_names() -> set[str]:
    """The strictly necessary cookies of the site, by name."""
    return {settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, "messages", CHOICE_COOKIE}


@dataclass
class Page:
    """What a parsed page holds that matters for cookie consent."""

    scripts: list[str] = field(default_factory=list)  # every <script src>
    buttons: list[dict[str, str]] = field(default_factory=list)
    boxes: list[dict[str, str]] = field(default_factory=list)  # checkboxes
    banner: bool = False
    text: str = ""

    def button(self, value: str) -> dict[str, str]:
        """The one button with this value."""
        (found,) = [b for b in self.buttons if b.get("value") == value]
        return found

    def tag_scripts(self) -> list[str]:
        """Scripts that are tags or their loader: any from elsewhere, and our tags.js."""
        static = "/" + settings.STATIC_URL.lstrip("/")
        return [src for src in self.scripts if not src.startswith(static) or "tags.js" in src]


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.page = Page()
        self._button: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value if value is not None else "" for name, value in attrs}
        if tag == "script" and "src" in values:
            self.page.scripts.append(values["src"])
        elif tag == "button":
            self._button = {"tag": tag, **values, "text": ""}
            self.page.buttons.append(self._button)
        elif tag == "input" and values.get("type") == "checkbox":
            self.page.boxes.append(values)
        elif tag == "section" and values.get("id") == "cookie-banner":
            self.page.banner = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "button":
            self._button = None

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button["text"] += data.strip()


def parse(response: Any) -> Page:
    """Parse an HTML response."""
    body = response.content.decode()
    parser = _Parser()
    parser.feed(body)
    parser.page.text = html.unescape(body)
    return parser.page


def cookies_set(response: Any) -> dict[str, Any]:
    """The cookies a response sets (deletions left out), by name."""
    return {
        name: morsel
        for name, morsel in response.cookies.items()
        if morsel.value and morsel["max-age"] != 0
    }


def cookies_deleted(response: Any) -> set[str]:
    """The non-essential cookies a response deletes (a shown message's cookie is not one)."""
    deleted = {name for name, morsel in response.cookies.items() if morsel["max-age"] == 0}
    return deleted - necessary_cookie_names()


def csp(response: Any) -> str:
    """The response's Content-Security-Policy header."""
    return str(response["Content-Security-Policy"])
