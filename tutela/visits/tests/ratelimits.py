"""A helper for tests that send one request too many (imported by other apps' tests too)."""

from __future__ import annotations

import time
from typing import Any

from django.test import RequestFactory
from django_ratelimit.core import get_usage


def fresh_rate_window(
    *, group: str, key: str, rate: str, remote_addr: str = "127.0.0.1", user: Any = None
) -> None:
    """Wait, if need be, until the limit's window has time left for the test's requests.

    django-ratelimit counts in fixed windows whose edge (jittered per key) may fall anywhere:
    a test about the request after the Nth must not straddle one, or the count starts again
    half-way. Usually returns at once; at worst waits a few seconds.
    """
    request = RequestFactory().post("/", REMOTE_ADDR=remote_addr)
    request.user = user
    usage = get_usage(request, group=group, key=key, rate=rate, method="POST")
    assert usage is not None
    if usage["time_left"] < 10:
        time.sleep(usage["time_left"] + 1)
