"""The check of a campaign's HTML version: refused, never silently cleaned (R40).

A campaign goes to thousands of inboxes under our name, and the staff console previews it, so its
HTML may hold formatting and links only: no script, style sheet, frame, form or embedded object,
no event-handler attribute, no URL but http(s) (and mailto: for links), no CSS url() or
expression(). Anything else is refused with a message naming what and where, so the author fixes
it and knows what was sent. Hand-written on the standard library's tokenizer: the rule is an
allow-list, and refusing needs no serializer (nh3 or bleach would rewrite the HTML instead).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

ALLOWED_TAGS = frozenset(
    [
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "caption",
        "center",
        "code",
        "dd",
        "div",
        "dl",
        "dt",
        "em",
        "font",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "li",
        "ol",
        "p",
        "pre",
        "s",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "u",
        "ul",
    ]
)
ALLOWED_ATTRIBUTES = frozenset(
    [
        "align",
        "alt",
        "bgcolor",
        "border",
        "cellpadding",
        "cellspacing",
        "color",
        "colspan",
        "dir",
        "face",
        "height",
        "href",
        "lang",
        "rowspan",
        "size",
        "src",
        "style",
        "title",
        "valign",
        "width",
    ]
)
_URL_ATTRIBUTES = {"href": ("http", "https", "mailto"), "src": ("http", "https")}
_CSS_FORBIDDEN = re.compile(r"url\s*\(|expression\s*\(|@import|javascript:", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_PROBLEMS = 5


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._seen: set[str] = set()

    def _problem(self, text: str) -> None:
        if text not in self._seen:  # one message per kind of problem, at its first line
            self._seen.add(text)
            self.problems.append(f"Line {self.getpos()[0]}: {text}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self._problem(f"<{tag}> is not allowed in a campaign (formatting and links only).")
            return
        for name, value in attrs:
            self._attribute(tag, name, value or "")

    handle_startendtag = handle_starttag

    def _attribute(self, tag: str, name: str, value: str) -> None:
        if name.startswith("on"):
            self._problem(f"<{tag} {name}>: event handlers (scripts) are not allowed.")
        elif name not in ALLOWED_ATTRIBUTES:
            self._problem(f"<{tag} {name}>: the attribute {name} is not allowed.")
        elif name in _URL_ATTRIBUTES:
            scheme = urlsplit(value.strip()).scheme.lower()
            if scheme not in _URL_ATTRIBUTES[name]:
                allowed = " or ".join(f"{s}:" for s in _URL_ATTRIBUTES[name])
                self._problem(f"<{tag} {name}>: use a full {allowed} address.")
        elif name == "style" and _CSS_FORBIDDEN.search(value):
            self._problem(f"<{tag} style>: url(), expression() and @import are not allowed.")

    def handle_comment(self, data: str) -> None:
        # Conditional comments ("<!--[if mso]>") can carry markup past this check.
        if "[if" in data.lower() or "<" in data:
            self._problem("comments holding markup (conditional comments) are not allowed.")

    def handle_decl(self, decl: str) -> None:
        self._problem("a <!DOCTYPE> is not needed: write the body only.")

    def handle_pi(self, data: str) -> None:
        self._problem("processing instructions (<?...>) are not allowed.")

    def unknown_decl(self, data: str) -> None:
        self._problem("CDATA sections are not allowed.")


def html_problems(html: str) -> list[str]:
    """What is wrong with a campaign's HTML version (at most MAX_PROBLEMS); [] when it is fine."""
    if _CONTROL.search(html):
        return ["Remove the control characters (such as NUL) from the HTML version."]
    checker = _Checker()
    checker.feed(html)
    checker.close()
    return checker.problems[:MAX_PROBLEMS]
