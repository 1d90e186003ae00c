"""Request helpers every app uses: who is on the other end of the connection."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address, trusting X-Forwarded-For only for the configured proxy hops.

    A client can put anything in X-Forwarded-For, so only the entries appended by our own proxies
    (TUTELA_TRUSTED_PROXY_COUNT of them, counted from the right) are believed.
    """
    candidate = request.META.get("REMOTE_ADDR", "")
    hops = settings.TUTELA_TRUSTED_PROXY_COUNT
    if hops:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= hops:
            candidate = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def request_id(request: HttpRequest) -> str:
    """The id the RequestIdMiddleware gave this request ('' outside a request)."""
    return getattr(request, "request_id", "")
