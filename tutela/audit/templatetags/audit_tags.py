"""Template helpers for the access-log table."""

from __future__ import annotations

from collections.abc import Mapping

from django import template

register = template.Library()


@register.filter
def label(labels: Mapping[str, str] | None, key: str) -> str:
    """The readable label for a policy key, or the key itself when no label is given."""
    if not labels:
        return key
    return labels.get(key, key)
