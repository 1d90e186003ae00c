"""Writes for the accounts app."""

from __future__ import annotations

from django.http import HttpRequest

from tutela.accounts.models import SecurityEvent, User
from tutela.core.http import client_ip, request_id


def security_event_record(
    *,
    kind: SecurityEvent.Kind,
    request: HttpRequest | None,
    user: User | None = None,
    realm: SecurityEvent.Realm = SecurityEvent.Realm.CUSTOMER,
) -> SecurityEvent:
    """Append a sign-in related event with the caller's IP (R2: legitimate interest, security)."""
    return SecurityEvent.objects.create(
        kind=kind,
        realm=realm,
        user=user if user is not None and user.pk else None,
        ip_address=client_ip(request) if request is not None else None,
        request_id=request_id(request) if request is not None else "",
    )
