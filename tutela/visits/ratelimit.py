"""The client address django-ratelimit keys its counters by (settings.RATELIMIT_IP_META_KEY).

Forms are limited with django-ratelimit's decorator, the same everywhere:

    @ratelimit(group="feedback.problem_report", key="ip", rate="10/10m", method="POST")

`key="ip"` for forms anyone may post (the limit follows the address), `key="user"` for forms
behind a sign-in (the limit follows the account, so an office behind one address is not
locked out together). Over the limit the decorator raises Ratelimited, which
django_ratelimit.middleware.RatelimitMiddleware turns into `tutela.visits.views.rate_limited`
(429). The counters live in the default cache: Redis in production, shared by every process;
the local-memory cache in the embedded default (one process, so one set of counters).
Sign-in, sign-up and password reset are limited by allauth (ACCOUNT_RATE_LIMITS), with the
same client address (tutela.accounts.adapter.AccountAdapter.get_client_ip).
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

from tutela.core.http import client_ip


def rate_limit_ip(request: HttpRequest) -> str:
    """The client address as tutela.core.http.client_ip sees it (trusted proxy hops only).

    django-ratelimit then widens IPv6 to its /64, which one subscriber usually holds whole.
    No address means a proxy or socket set-up we cannot see through: refused, rather than
    putting every client in one bucket.
    """
    ip = client_ip(request)
    if ip is None:
        raise ImproperlyConfigured(
            "No client address for rate limiting: REMOTE_ADDR is empty or not an IP address. "
            "Behind a proxy, set TUTELA_TRUSTED_PROXY_COUNT (docs/operations.md)."
        )
    return ip
