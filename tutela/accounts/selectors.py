"""Reads for the accounts app."""

from __future__ import annotations

from django.db.models import QuerySet

from tutela.accounts.models import SecurityEvent, User


def security_events_for_user(user: User, *, limit: int = 20) -> QuerySet[SecurityEvent]:
    """The user's own most recent sign-in events, newest first, for their account page."""
    return SecurityEvent.objects.filter(user=user).order_by("-occurred_at", "-id")[:limit]
