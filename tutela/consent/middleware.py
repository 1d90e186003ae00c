"""Prior blocking on the server side (PECR reg. 6, R27, R29).

Sits inside django-csp's middleware (settings.MIDDLEWARE) so that, on every response:
- the CSP allows Google's hosts only for the tag groups the visitor allowed (and never on
  staff pages): a tag that was not consented to could not load even if a template rendered it;
- a cookie a view sets is sent only if its group is strictly necessary or allowed; a cookie no
  group declares is dropped and logged, so a new cookie cannot slip in without a decision;
- cookies of a group the visitor refused or withdrew (or never allowed under the notice in
  force) are deleted from the browser at once, e.g. Google Analytics' `_ga` after "Reject all";
- `Vary: Cookie, Sec-GPC`: the page and its CSP depend on both, so a shared cache must never
  hand one visitor's consented page (with Google's tags) to another.

Sessions, CSRF and messages set their cookies further out, after this runs; all three are
strictly necessary.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_vary_headers

from tutela.consent.cookies import (
    NECESSARY,
    CookieChoiceState,
    cookie_choice_for,
    cookie_group_of,
    csp_update_for,
    tags_for,
    unknown_cookie_dropped,
)


class CookieConsentMiddleware:
    """Applies the visitor's cookie choice to the CSP and to the cookies of each response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        # After the view: a choice just made (views.cookies) already counts for this response.
        choice = cookie_choice_for(request)
        self._widen_csp(request, response)
        self._drop_cookies(request, response, choice)
        self._delete_refused(request, response, choice)
        patch_vary_headers(response, ("Cookie", "Sec-GPC"))
        return response

    @staticmethod
    def _widen_csp(request: HttpRequest, response: HttpResponseBase) -> None:
        update = csp_update_for(tags_for(request))
        if not update:
            return
        existing = dict(getattr(response, "_csp_update", None) or {})
        for directive, sources in update.items():
            existing[directive] = [*existing.get(directive, []), *sources]
        response._csp_update = existing  # type: ignore[attr-defined]

    @staticmethod
    def _drop_cookies(
        request: HttpRequest, response: HttpResponseBase, choice: CookieChoiceState
    ) -> None:
        for name in list(response.cookies):
            morsel = response.cookies[name]
            if morsel["max-age"] == 0:  # deleting a cookie is always allowed
                continue
            group = cookie_group_of(name)
            if group == NECESSARY or (group is not None and choice.allows(group)):
                continue
            del response.cookies[name]
            if group is None:
                unknown_cookie_dropped(name, request.path)

    @staticmethod
    def _delete_refused(
        request: HttpRequest, response: HttpResponseBase, choice: CookieChoiceState
    ) -> None:
        for name, value in request.COOKIES.items():
            group = cookie_group_of(name)
            if not value or group in (None, NECESSARY) or name in response.cookies:
                continue
            if not choice.allows(group):  # type: ignore[arg-type]
                response.delete_cookie(name, samesite="Lax")
