"""`{% load money %}`: amounts in pence shown as pounds ("£1,234.56")."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def pounds(pence: object) -> str:
    """Whole pence as pounds sterling with a thousands separator; "" for anything else."""
    if isinstance(pence, bool) or not isinstance(pence, int):
        return ""
    sign = "-" if pence < 0 else ""
    whole, part = divmod(abs(pence), 100)
    return f"{sign}\u00a3{whole:,}.{part:02d}"
