"""The pages bench/audit_bench.py requests: read or change a customer-like row, with and without
logging (Tutela's access_record, or django-auditlog)."""

from __future__ import annotations

from typing import Any

from auditlog.context import set_actor
from auditlog.registry import auditlog
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import include, path

from tutela.audit.api import Actor, access_record
from tutela.core.http import client_ip

STAFF = Actor.staff(id=7, first_name="Sam", role="support")
CATEGORIES = [
    "user.contact.address",
    "user.contact.email",
    "user.contact.phone_number",
    "user.name",
]


class _CustomerRow(models.Model):
    """A row shaped like a customer profile."""

    full_name = models.CharField(max_length=150)
    company_name = models.CharField(max_length=150)
    email = models.CharField(max_length=254)
    phone = models.CharField(max_length=32)
    address_line1 = models.CharField(max_length=150)
    city = models.CharField(max_length=80)
    postcode = models.CharField(max_length=16)

    objects = models.Manager()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.full_name


class BenchCustomer(_CustomerRow):
    """Read and changed by the plain and the Tutela-logged pages."""

    class Meta:
        app_label = "audit_bench"


class AuditedCustomer(_CustomerRow):
    """The same row, registered with django-auditlog (which logs changes, not reads)."""

    class Meta:
        app_label = "audit_bench"


auditlog.register(AuditedCustomer)


def _page(customer: _CustomerRow) -> HttpResponse:
    return HttpResponse(
        f"<h1>{customer.full_name}</h1><p>{customer.company_name}</p><p>{customer.email} "
        f"{customer.phone}</p><p>{customer.address_line1}, {customer.city} {customer.postcode}</p>"
    )


# A staff-console-like page: the site's layout around a table of the customer's details.
PAGE = engines["django"].from_string(
    """{% extends "base.html" %}{% block content %}<h1>{{ customer.full_name }}</h1>
<table>{% for label, value in rows %}<tr><th scope="row">{{ label }}</th><td>{{ value }}</td></tr>
{% endfor %}</table>{% endblock %}"""
)


def _full_page(request: HttpRequest, customer: _CustomerRow) -> HttpResponse:
    fields = ["full_name", "company_name", "email", "phone", "address_line1", "city", "postcode"]
    rows = [(name.replace("_", " "), getattr(customer, name)) for name in fields]
    return HttpResponse(PAGE.render({"customer": customer, "rows": rows}, request))


def page_plain(request: HttpRequest, pk: int) -> HttpResponse:
    return _full_page(request, BenchCustomer.objects.get(pk=pk))


def page_logged(request: HttpRequest, pk: int) -> HttpResponse:
    customer = BenchCustomer.objects.get(pk=pk)
    access_record(
        actor=STAFF, subject=f"c-{pk}", categories=CATEGORIES, purpose="customer_support",
        action="read", request=request, detail=f"audit_bench.BenchCustomer#{pk}",
    )  # fmt: skip
    return _full_page(request, customer)


def read_plain(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(BenchCustomer.objects.get(pk=pk))


def read_logged(request: HttpRequest, pk: int) -> HttpResponse:
    customer = BenchCustomer.objects.get(pk=pk)
    access_record(
        actor=STAFF, subject=f"c-{pk}", categories=CATEGORIES, purpose="customer_support",
        action="read", request=request, detail=f"audit_bench.BenchCustomer#{pk}",
    )  # fmt: skip
    return _page(customer)


def _change(pk: int, n: Any, model: type[_CustomerRow] = BenchCustomer) -> _CustomerRow:
    customer = model.objects.get(pk=pk)
    customer.phone = f"+4420794600{int(n) % 100:02d}"
    customer.save()
    return customer


def change_plain(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(_change(pk, request.GET.get("n", 0)))


def change_logged(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _change(pk, request.GET.get("n", 0))
    access_record(
        actor=STAFF, subject=f"c-{pk}", categories=["user.contact.phone_number"],
        purpose="customer_support", action="change", request=request,
        detail=f"audit_bench.BenchCustomer#{pk}",
    )  # fmt: skip
    return _page(customer)


def change_auditlog(request: HttpRequest, pk: int) -> HttpResponse:
    # What AuditlogMiddleware does per request: remember who and from where for the LogEntry.
    with set_actor(None, remote_addr=client_ip(request)):
        return _page(_change(pk, request.GET.get("n", 0), AuditedCustomer))


urlpatterns = [
    path("read/plain/<int:pk>/", read_plain),
    path("read/logged/<int:pk>/", read_logged),
    path("change/plain/<int:pk>/", change_plain),
    path("change/logged/<int:pk>/", change_logged),
    path("change/auditlog/<int:pk>/", change_auditlog),
    path("page/plain/<int:pk>/", page_plain),
    path("page/logged/<int:pk>/", page_logged),
    path("", include("config.urls")),  # the layout links to the site's pages
]
