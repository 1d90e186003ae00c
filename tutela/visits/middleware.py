"""The middleware that counts every request into the security log of visits (R2)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject, empty

from tutela.core.http import client_ip
from tutela.visits.recorder import path_group, recorder


def _subject_id(request: HttpRequest) -> uuid.UUID | None:
    """The signed-in person's subject id, if the request already knows who they are.

    Only a user the request has already loaded is used: loading it here would cost the session
    and user queries on requests that never needed them.
    """
    user = request.__dict__.get("user")
    if user is None or (
        isinstance(user, SimpleLazyObject) and getattr(user, "_wrapped", empty) is empty
    ):
        return None
    if not user.is_authenticated:
        return None
    subject_id: uuid.UUID | None = getattr(user, "subject_id", None)
    return subject_id


class VisitsMiddleware:
    """Counts each request by client address, subject, part of the site and hour.

    Placed near the top of MIDDLEWARE so that requests refused further in (CSRF failures,
    rate limits, 404s) are counted too, as rejected. The count is in memory; the database
    sees a batch every few seconds (tutela.visits.recorder).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        ip = client_ip(request)
        # No address (a misconfigured proxy or socket): nothing to log, and nothing to guess.
        if ip is not None:
            recorder.note(
                ip=ip,
                subject_id=_subject_id(request),
                path_group=path_group(request.path_info),
                rejected=400 <= response.status_code < 500,
                now=timezone.now(),
            )
        return response
