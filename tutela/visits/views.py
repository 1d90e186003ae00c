"""The one page visits serves: the answer over a rate limit (no public URL of its own)."""

from __future__ import annotations

from http import HTTPStatus

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

TOO_MANY = (
    "You have sent this form too many times in a short while. Nothing from your last attempt "
    "was saved; please wait a few minutes and try again."
)


def rate_limited(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """429 Too Many Requests with a page saying what happened and what to do (R4, R40).

    django-ratelimit's middleware calls this (settings.RATELIMIT_VIEW). htmx does not swap an
    error response into the page, so an htmx request gets the message as a flash message and
    a full reload instead of a silent failure.
    """
    if getattr(request, "htmx", False):
        messages.error(request, TOO_MANY)
        return HttpResponse(status=HTTPStatus.TOO_MANY_REQUESTS, headers={"HX-Refresh": "true"})
    return render(request, "429.html", {"message": TOO_MANY}, status=HTTPStatus.TOO_MANY_REQUESTS)
