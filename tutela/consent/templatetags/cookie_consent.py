"""The cookie banner and the consented tags, for base.html (`{% load cookie_consent %}`)."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from tutela.consent.cookies import (
    choice_max_age,
    cookie_choice_for,
    cookie_groups,
    tags_for,
)
from tutela.consent.notices import COOKIE_BANNER, COOKIE_GPC

register = template.Library()


@register.inclusion_tag("consent/cookies/_head.html", takes_context=True)
def cookie_head(context: template.Context) -> dict[str, Any]:
    """The banner's stylesheet, and the script tags of the groups the visitor allowed only."""
    request = context.get("request")
    tags = tags_for(request) if request is not None else ()
    by_group = {tag.group: tag for tag in tags}
    return {
        "tags": tags,
        "analytics": by_group.get("analytics"),
        "advertising": by_group.get("advertising"),
        # Google's cookies last no longer than the choice they rest on.
        "cookie_expires": int(choice_max_age().total_seconds()),
    }


@register.inclusion_tag("consent/cookies/_banner.html", takes_context=True)
def cookie_banner(context: template.Context) -> dict[str, Any]:
    """The banner, on every page until the visitor has chosen under the notice in force.

    Pages shown in answer to a POST leave it out: the next page shows it. A machine's POST (the
    one-click unsubscribe, RFC 8058) then gets a page that sets no cookie, not even CSRF's.
    """
    request = context.get("request")
    if request is None or request.method not in ("GET", "HEAD"):
        return {"show": False}
    if request.path == reverse("consent:cookies"):  # that page is the banner's form
        return {"show": False}
    choice = cookie_choice_for(request)
    if choice.current:
        return {"show": False}
    return {
        "show": True,
        "csrf_token": context.get("csrf_token"),
        "groups": cookie_groups(),
        "checked": frozenset(),  # nothing is ever pre-ticked
        "gpc": choice.gpc,
        "banner_text": COOKIE_BANNER.text,
        "gpc_text": COOKIE_GPC.text,
        "next": request.get_full_path(),
        "asked_again": choice.visitor_id is not None,
    }
