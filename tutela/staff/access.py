"""The one access rule for staff views (R8, R38)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from tutela.staff.selectors import staff_member_for_user

StaffView = Callable[..., HttpResponse]


def staff_required(permission: str | None = None) -> Callable[[StaffView], StaffView]:
    """Anonymous -> the staff sign-in; customers, staff without exactly one role, or a role
    without `permission` -> 403.

    The wrapped view receives the caller as a StaffMember right after the request, so the role
    check happens once and the view cannot forget it.
    """

    def decorator(view: StaffView) -> StaffView:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("staff:login"))
            member = staff_member_for_user(request.user)
            if member is None:
                raise PermissionDenied("The staff console is for staff with one role.")
            if permission is not None and not member.can(permission):
                raise PermissionDenied(f"The {member.role.label} role may not use this page.")
            return view(request, dataclasses.replace(member, request=request), *args, **kwargs)

        return wrapper

    return decorator
