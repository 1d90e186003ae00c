"""The one access rule for the personal account: a signed-in customer, acting on themselves."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from tutela.customers.models import Customer
from tutela.customers.selectors import customer_for_user

CustomerView = Callable[..., HttpResponse]


def customer_required(view: CustomerView) -> Callable[..., HttpResponse]:
    """Anonymous -> sign-in page; staff or identities without a profile -> 403.

    The wrapped view receives the caller's own Customer and never takes an id from the URL, so
    one customer cannot name another's account (R38).
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        customer: Customer | None = None
        if not request.user.is_staff:
            customer = customer_for_user(request.user)
        if customer is None:
            raise PermissionDenied("The personal account is for customers.")
        return view(request, customer, *args, **kwargs)

    return wrapper
