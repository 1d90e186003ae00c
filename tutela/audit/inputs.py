"""Checks on what callers want logged: bad input gets an error naming the field; nothing stored."""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Iterable

from django.core.exceptions import ValidationError

from tutela.audit.actor import Actor, ActorKind
from tutela.audit.canonical import has_control_characters
from tutela.audit.models import AccessEvent

# Policy keys (fideslang categories such as user.contact.email, purposes such as
# customer_support): lower-case words joined by dots or hyphens.
_KEY = re.compile(r"[a-z0-9_]+(?:[.-][a-z0-9_]+)*")
# Pseudonymous subject ids: short, opaque, safe in URLs and logs.
_SUBJECT = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_ACTIONS = frozenset(AccessEvent.Action.values)
_KINDS = frozenset(ActorKind.values)
MAX_CATEGORIES = 50


def _fail(field: str, reason: str) -> ValidationError:
    return ValidationError({field: [f"{field}: {reason}"]})


def _text(field: str, value: object, *, max_length: int, required: bool) -> str:
    if not isinstance(value, str):
        raise _fail(field, f"must be text, not {type(value).__name__}")
    if required and not value:
        raise _fail(field, "is required")
    if len(value) > max_length:
        raise _fail(field, f"is {len(value)} characters long; at most {max_length} allowed")
    if has_control_characters(value):
        raise _fail(field, "contains a control character (NUL, newline, tab, ...)")
    return value


def clean_actor(actor: object) -> Actor:
    """The actor, checked: a known kind, a label to show, an integer id or none."""
    if not isinstance(actor, Actor):
        raise _fail("actor", f"must be a tutela.audit.api.Actor, not {type(actor).__name__}")
    if actor.kind not in _KINDS:
        raise _fail("actor", f"kind {actor.kind!r} is not one of {sorted(_KINDS)}")
    if actor.id is not None and (not isinstance(actor.id, int) or isinstance(actor.id, bool)):
        raise _fail("actor", "id must be an integer or None")
    _text("actor label", actor.label, max_length=120, required=True)
    _text("actor role", actor.role, max_length=40, required=False)
    return actor


def clean_subject(subject: object) -> str:
    """A pseudonymous subject id: 1-64 of letters, digits and . _ : - (a UUID is welcome)."""
    if isinstance(subject, uuid.UUID):
        return str(subject)
    if not isinstance(subject, str) or not _SUBJECT.fullmatch(subject):
        raise _fail(
            "subject", f"{subject!r} is not a pseudonymous id (1-64 of A-Z a-z 0-9 . _ : -)"
        )
    return subject


def clean_key(field: str, value: object) -> str:
    """A policy key (category or purpose)."""
    if not isinstance(value, str) or not value or len(value) > 64 or not _KEY.fullmatch(value):
        raise _fail(field, f"{value!r} is not a policy key (lower-case words joined by . or -)")
    return value


def clean_categories(categories: Iterable[str]) -> str:
    """The categories as stored and hashed: sorted, without duplicates, comma-separated."""
    if isinstance(categories, str):
        raise _fail("categories", "must be a list of category keys, not one string")
    keys = sorted({clean_key("categories", key) for key in categories})
    if not keys:
        raise _fail("categories", "name at least one data category")
    if len(keys) > MAX_CATEGORIES:
        raise _fail("categories", f"{len(keys)} categories; at most {MAX_CATEGORIES} allowed")
    return ",".join(keys)


def clean_action(action: object) -> str:
    """One of AccessEvent.Action."""
    if action not in _ACTIONS:
        raise _fail("action", f"{action!r} is not one of {sorted(_ACTIONS)}")
    return str(action)


def clean_detail(detail: object) -> str:
    """A short reference (record or batch size); no control characters."""
    return _text("detail", detail, max_length=200, required=False)


def clean_ip(ip: str | None) -> str:
    """The client address in its normal text form, or '' when unknown."""
    if not ip:
        return ""
    try:
        return str(ipaddress.ip_address(ip))
    except ValueError:
        raise _fail("ip", f"{ip!r} is not an IP address") from None


def clean_request_id(request_id: str) -> str:
    """The request id from tutela.core (already restricted to safe characters)."""
    return _text("request_id", request_id, max_length=64, required=False)
