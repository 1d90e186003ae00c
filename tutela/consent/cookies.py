"""Cookie consent without a database read: the groups of the policy file's `cookies` section,
the cookies Tutela knows in each, the notice a choice is made under, the choice cookie, and the
tags and CSP sources a choice allows (PECR reg. 6; R27-R29).

The choice cookie is strictly necessary (it remembers the answer to the banner) and holds
`<visitor id>.<groups allowed>.<notice SHA-256>.<unix time>`, signed with the secret key. It is
HttpOnly: the server renders the banner and the tags, so no script needs to read it, and a
script that somehow ran on the page (or a Google tag once allowed) cannot read the visitor id or
forge a choice. Secure whenever the session cookie is (production), SameSite=Lax. It lasts as
long as the policy's `preference_cookies` rule says (P1Y in the C-MES file), counted from the
choice and at most 12 months: the choice is then asked again.

A choice counts only under the cookie notice in force: the policy version and the SHA-256 of
everything the banner shows (the groups, their purposes, processors and retention, the cookie
list and the banner's words). Change any of it and every visitor is asked again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core import signing
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseBase

from tutela.consent.notices import COOKIE_BANNER, COOKIE_GPC
from tutela.policy.api import Policy, Processor, Purpose, current_policy

logger = logging.getLogger(__name__)

CHOICE_COOKIE = "cookie_choice"
CHOICE_SALT = "tutela.consent.cookie-choice"
NECESSARY = "strictly_necessary"
PREFERENCES = "preferences"
ANALYTICS = "analytics"
ADVERTISING = "advertising"
# The retention rule whose period is the choice cookie's lifetime, and the longest it may be:
# a consent is asked again at least once a year.
CHOICE_RULE = "preference_cookies"
CHOICE_MAX_AGE_CAP = timedelta(days=365)
CHOICE_MAX_AGE_DEFAULT = timedelta(days=182)
# Staff pages never load Google's tags: they are not the public site, and their addresses name
# customers and requests.
NO_TAGS_PREFIX = "/staff/"
THIS_SITE = "C-MES Solutions (this site)"


# --- The cookies Tutela knows -------------------------------------------------------------------


@dataclass(frozen=True)
class KnownCookie:
    """A cookie the site (or a tag it loads) may set, as the cookie settings page lists it."""

    name: str  # exact, or a prefix when it ends with "*"
    group: str
    set_by: str
    purpose: str
    lifetime: str
    # Set by a third party on its own domain: listed for information; the server never sees it.
    domain: str = ""

    def matches(self, name: str) -> bool:
        """Whether a cookie of this name (on our domain) is this one."""
        if self.domain:
            return False
        if self.name.endswith("*"):
            return name.startswith(self.name[:-1])
        return name == self.name


def _lifetime(seconds: int | float | None) -> str:
    if not seconds:
        return "Until you close your browser"
    days = int(seconds) // 86400
    if days >= 365:
        return f"{days // 365} year{'s' if days >= 730 else ''}"
    if days >= 1:
        return f"{days} day{'s' if days > 1 else ''}"
    hours = max(1, int(seconds) // 3600)
    return f"{hours} hour{'s' if hours > 1 else ''}"


def known_cookies() -> tuple[KnownCookie, ...]:
    """Every cookie the site or its tags may set, by group (names follow the settings)."""
    choice_age = choice_max_age().total_seconds()
    cookies = [
        KnownCookie(
            settings.SESSION_COOKIE_NAME,
            NECESSARY,
            THIS_SITE,
            "Keeps you signed in.",
            f"{_lifetime(settings.SESSION_COOKIE_AGE)}, or until you sign out",
        ),
        KnownCookie(
            settings.CSRF_COOKIE_NAME,
            NECESSARY,
            THIS_SITE,
            "Protects our forms against requests forged by other sites.",
            _lifetime(settings.CSRF_COOKIE_AGE),
        ),
        KnownCookie(
            "messages",
            NECESSARY,
            THIS_SITE,
            "Carries a one-off message, such as “Saved”, to the next page.",
            _lifetime(None),
        ),
        KnownCookie(
            CHOICE_COOKIE,
            NECESSARY,
            THIS_SITE,
            "Remembers your cookie choices, with a random number that ties them to our record "
            "of the choice.",
            _lifetime(choice_age),
        ),
        KnownCookie(
            "_ga",
            ANALYTICS,
            "Google Analytics",
            "Tells visits by the same browser apart, with a random number.",
            _lifetime(choice_age),
        ),
        KnownCookie(
            "_ga_*",
            ANALYTICS,
            "Google Analytics",
            "Keeps track of the current visit.",
            _lifetime(choice_age),
        ),
        KnownCookie(
            "_gcl_*",
            ADVERTISING,
            "Google Ads",
            "Links a visit to the ad that brought you here.",
            "90 days",
        ),
        KnownCookie(
            "_gac_*",
            ADVERTISING,
            "Google Ads",
            "Holds the ad campaign a visit came from.",
            "90 days",
        ),
        KnownCookie(
            "IDE, test_cookie",
            ADVERTISING,
            "Google (doubleclick.net)",
            "Shows our ads to previous visitors on other sites.",
            "Up to 13 months",
            domain="doubleclick.net",
        ),
    ]
    if getattr(settings, "MFA_TRUST_ENABLED", False):
        cookies.insert(
            3,
            KnownCookie(
                getattr(settings, "MFA_TRUST_COOKIE_NAME", "mfa_trusted"),
                NECESSARY,
                THIS_SITE,
                "Remembers that you asked us to trust this browser for two-factor sign-in.",
                "14 days",
            ),
        )
    return tuple(cookies)


def cookie_group_of(name: str) -> str | None:
    """The group of a cookie set on our domain; None for a cookie Tutela does not know."""
    for cookie in known_cookies():
        if cookie.matches(name):
            return cookie.group
    return None


# --- The groups, from the policy file -----------------------------------------------------------


@dataclass(frozen=True)
class Group:
    """A group of cookies as the banner shows it: the policy file's words, and its cookies."""

    key: str
    label: str
    description: str
    consent_required: bool
    purposes: tuple[Purpose, ...]
    processors: tuple[Processor, ...]
    cookies: tuple[KnownCookie, ...] = field(default=())


def cookie_groups() -> tuple[Group, ...]:
    """The policy file's cookie groups, strictly necessary first, in the file's order."""
    policy = current_policy()
    cookies = known_cookies()
    groups = [
        Group(
            key=str(group.category),
            label=group.label,
            description=group.description,
            consent_required=group.consent_required,
            purposes=tuple(policy.purpose(key) for key in group.purposes),
            processors=tuple(policy.processor(key) for key in group.processors),
            cookies=tuple(c for c in cookies if c.group == str(group.category)),
        )
        for group in policy.cookies
    ]
    return tuple(sorted(groups, key=lambda g: g.consent_required))


def choosable_groups() -> tuple[str, ...]:
    """The keys of the groups a visitor may allow or refuse (all but strictly necessary)."""
    return tuple(group.key for group in cookie_groups() if group.consent_required)


# --- The notice a choice is made under ----------------------------------------------------------


@dataclass(frozen=True)
class CookieNotice:
    """The cookie notice in force: the policy version and the SHA-256 of what the banner shows."""

    version: str
    sha256: str


_notice_lock = threading.Lock()
# The notice and the policy object it was computed from (a reloaded policy is a new object).
_notice_cache: dict[str, tuple[Policy, CookieNotice]] = {}


def _notice_material(policy: Policy) -> dict[str, Any]:
    purposes = {key for group in policy.cookies for key in group.purposes}
    processors = {key for group in policy.cookies for key in group.processors}
    return {
        "policy_version": policy.version,
        "banner": [COOKIE_BANNER.text, COOKIE_GPC.text],
        "groups": [group.model_dump(mode="json") for group in policy.cookies],
        "purposes": [p.model_dump(mode="json") for p in policy.purposes if p.key in purposes],
        "processors": [p.model_dump(mode="json") for p in policy.processors if p.key in processors],
        "retention": [
            rule.model_dump(mode="json")
            for rule in policy.retention
            if purposes & set(rule.purposes) or rule.key == CHOICE_RULE
        ],
        "cookies": [
            [c.name, c.group, c.set_by, c.purpose, c.lifetime, c.domain] for c in known_cookies()
        ],
    }


def cookie_notice() -> CookieNotice:
    """The notice in force, computed once per loaded policy file."""
    policy = current_policy()
    cached = _notice_cache.get("current")
    if cached is not None and cached[0] is policy:
        return cached[1]
    canonical = json.dumps(
        _notice_material(policy), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    notice = CookieNotice(
        version=policy.version, sha256=hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    )
    with _notice_lock:
        _notice_cache["current"] = (policy, notice)
    return notice


@receiver(setting_changed)
def _forget_notice(**kwargs: Any) -> None:
    # Cookie names and lifetimes come from settings too (tests change them).
    with _notice_lock:
        _notice_cache.clear()


def choice_max_age() -> timedelta:
    """How long a choice counts: the policy's preference_cookies period, at most 12 months."""
    rule = next((r for r in current_policy().retention if r.key == CHOICE_RULE), None)
    duration = rule.duration if rule is not None else None
    if duration is None:
        return CHOICE_MAX_AGE_DEFAULT
    # Counted short (a month as 30 days), so the cookie never outlives the rule.
    days = duration.years * 365 + duration.months * 30 + duration.weeks * 7 + duration.days
    return min(timedelta(days=days), CHOICE_MAX_AGE_CAP) if days else CHOICE_MAX_AGE_DEFAULT


# --- The visitor's choice -----------------------------------------------------------------------


def gpc_signal(request: HttpRequest) -> bool:
    """Whether the browser sends Global Privacy Control (`Sec-GPC: 1`), an opt-out (R29)."""
    return request.headers.get("Sec-GPC", "").strip() == "1"


@dataclass(frozen=True)
class CookieChoiceState:
    """What the request's choice cookie says, checked against the notice in force."""

    visitor_id: uuid.UUID | None  # kept from an old or expired choice, to link the next one
    allowed: frozenset[str]
    made_at: datetime | None
    current: bool  # made under the notice in force, not expired: the banner is not shown
    gpc: bool

    def allows(self, group: str) -> bool:
        """Whether cookies and tags of this group may be used now."""
        if group == NECESSARY:
            return True
        if not self.current or group not in self.allowed:
            return False
        # GPC refuses advertising whatever the stored choice says (R29).
        return not (group == ADVERTISING and self.gpc)


def _choice_value(visitor_id: uuid.UUID, allowed: Iterable[str], sha256: str, at: int) -> str:
    groups = "+".join(sorted(allowed)) or "-"
    return signing.Signer(salt=CHOICE_SALT).sign(f"{visitor_id.hex}.{groups}.{sha256}.{at}")


def _choice_read(value: str) -> tuple[uuid.UUID, frozenset[str], str, datetime] | None:
    try:
        payload = signing.Signer(salt=CHOICE_SALT).unsign(value)
        visitor, groups, sha256, at = payload.split(".")
        made_at = datetime.fromtimestamp(int(at), tz=UTC)
        allowed = frozenset() if groups == "-" else frozenset(groups.split("+"))
        return uuid.UUID(hex=visitor), allowed, sha256, made_at
    except (signing.BadSignature, ValueError, OverflowError, OSError):
        return None


_REQUEST_ATTR = "_tutela_cookie_choice"


def cookie_choice_for(request: HttpRequest) -> CookieChoiceState:
    """The request's cookie choice, read once per request (no database)."""
    cached = getattr(request, _REQUEST_ATTR, None)
    if isinstance(cached, CookieChoiceState):
        return cached
    gpc = gpc_signal(request)
    state = CookieChoiceState(None, frozenset(), None, current=False, gpc=gpc)
    read = _choice_read(request.COOKIES.get(CHOICE_COOKIE, ""))
    if read is not None:
        visitor_id, allowed, sha256, made_at = read
        fresh = datetime.now(UTC) - made_at < choice_max_age()
        current = fresh and sha256 == cookie_notice().sha256
        state = CookieChoiceState(
            visitor_id,
            allowed & set(choosable_groups()),
            made_at,
            current=current,
            gpc=gpc,
        )
    setattr(request, _REQUEST_ATTR, state)
    return state


def choice_cookie_set(
    request: HttpRequest,
    response: HttpResponseBase,
    *,
    visitor_id: uuid.UUID,
    allowed: Iterable[str],
    notice_sha256: str,
) -> CookieChoiceState:
    """Set the choice cookie on a response, and make the rest of this request follow it."""
    now = int(time.time())
    allowed = frozenset(allowed)
    response.set_cookie(
        CHOICE_COOKIE,
        _choice_value(visitor_id, allowed, notice_sha256, now),
        max_age=int(choice_max_age().total_seconds()),
        path="/",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    state = CookieChoiceState(
        visitor_id,
        allowed,
        datetime.fromtimestamp(now, tz=UTC),
        current=notice_sha256 == cookie_notice().sha256,
        gpc=gpc_signal(request),
    )
    setattr(request, _REQUEST_ATTR, state)
    return state


# --- Tags and the CSP ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Tag:
    """A Google tag a visitor allowed, as the page loads it."""

    group: str
    tag_id: str
    src: str
    origin: str
    csp_hosts: tuple[str, ...]
    directives: tuple[str, ...]


_TAG_SETTINGS = {
    ANALYTICS: (
        "TUTELA_ANALYTICS_ID",
        "TUTELA_ANALYTICS_SCRIPT_URL",
        "TUTELA_ANALYTICS_CSP_HOSTS",
        ("script-src", "connect-src", "img-src"),
    ),
    ADVERTISING: (
        "TUTELA_ADVERTISING_ID",
        "TUTELA_ADVERTISING_SCRIPT_URL",
        "TUTELA_ADVERTISING_CSP_HOSTS",
        ("script-src", "connect-src", "img-src", "frame-src"),
    ),
}


def tags_for(request: HttpRequest) -> tuple[Tag, ...]:
    """The tags this page may load: the groups the visitor allowed that have an id set."""
    if request.path.startswith(NO_TAGS_PREFIX):
        return ()
    choice = cookie_choice_for(request)
    tags = []
    for group, (id_setting, url_setting, hosts_setting, directives) in _TAG_SETTINGS.items():
        tag_id = str(getattr(settings, id_setting, "") or "")
        url = str(getattr(settings, url_setting, "") or "")
        if not (tag_id and url and choice.allows(group)):
            continue
        parts = urlsplit(url)
        tags.append(
            Tag(
                group=group,
                tag_id=tag_id,
                src=f"{url}{'&' if parts.query else '?'}{urlencode({'id': tag_id})}",
                origin=f"{parts.scheme}://{parts.netloc}",
                csp_hosts=tuple(getattr(settings, hosts_setting, ())),
                directives=directives,
            )
        )
    return tuple(tags)


def csp_update_for(tags: Iterable[Tag]) -> dict[str, list[str]]:
    """The CSP sources to add for these tags (django-csp's `_csp_update`).

    A directive the configured policy leaves out falls back to default-src in the browser; it
    starts from default-src here, so adding Google's hosts never takes 'self' away.
    """
    configured = settings.CONTENT_SECURITY_POLICY.get("DIRECTIVES", {})
    update: dict[str, list[str]] = {}
    for tag in tags:
        for directive in tag.directives:
            if directive not in update:
                update[directive] = (
                    [] if directive in configured else list(configured.get("default-src", []))
                )
            for source in (tag.origin, *tag.csp_hosts):
                if source not in update[directive]:
                    update[directive].append(source)
    return update


def unknown_cookie_dropped(name: str, path: str) -> None:
    """Log a cookie a view tried to set that no group declares (it was not sent)."""
    logger.warning("cookie %r set on %s is in no cookie group; not sent (PECR reg. 6)", name, path)
