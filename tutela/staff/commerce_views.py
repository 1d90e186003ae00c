"""Staff tools for the financial records: orders and invoices for finance (R7, R8, R38)."""

from __future__ import annotations

import uuid

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from tutela.commerce.api import invoice_payment, invoice_pdf_response
from tutela.policy.api import current_policy
from tutela.staff.access import staff_required
from tutela.staff.commerce_selectors import (
    invoice_for_staff,
    invoices_for_staff,
    invoices_page_read,
    order_for_staff,
    orders_for_staff,
    orders_page_read,
)
from tutela.staff.roles import VIEW_CUSTOMER_PROFILE, VIEW_INVOICES, VIEW_ORDERS
from tutela.staff.selectors import StaffMember

PAGE_SIZE = 25


@staff_required(VIEW_ORDERS)
@require_GET
def orders(request: HttpRequest, member: StaffMember) -> HttpResponse:
    """Orders, newest first, paginated; the page's read is access-logged."""
    page = Paginator(orders_for_staff(member), PAGE_SIZE).get_page(request.GET.get("page"))
    orders_page_read(member, page.object_list)
    return render(request, "staff/commerce/orders.html", {"member": member, "page": page})


@staff_required(VIEW_ORDERS)
@require_GET
def order(request: HttpRequest, member: StaffMember, order_id: uuid.UUID) -> HttpResponse:
    """One order with its lines, payment attempts and invoice."""
    return render(
        request,
        "staff/commerce/order.html",
        {
            "member": member,
            "order": order_for_staff(member, order_id),
            "can_view_customer": member.can(VIEW_CUSTOMER_PROFILE),
            "can_view_invoice": member.can(VIEW_INVOICES),
        },
    )


@staff_required(VIEW_INVOICES)
@require_GET
def invoices(request: HttpRequest, member: StaffMember) -> HttpResponse:
    """Invoices, latest number first, paginated; the page's read is access-logged."""
    page = Paginator(invoices_for_staff(member), PAGE_SIZE).get_page(request.GET.get("page"))
    invoices_page_read(member, page.object_list)
    return render(request, "staff/commerce/invoices.html", {"member": member, "page": page})


@never_cache
@staff_required(VIEW_INVOICES)
@require_GET
def invoice(request: HttpRequest, member: StaffMember, invoice_id: uuid.UUID) -> HttpResponse:
    """One invoice as issued, the same document the customer sees."""
    found = invoice_for_staff(member, invoice_id, what="page")
    return render(
        request,
        "staff/commerce/invoice.html",
        {
            "member": member,
            "invoice": found,
            "payment": invoice_payment(found),
            "seller": current_policy(),
            "can_view_order": member.can(VIEW_ORDERS),
        },
    )


@never_cache
@staff_required(VIEW_INVOICES)
@require_GET
def invoice_pdf(request: HttpRequest, member: StaffMember, invoice_id: uuid.UUID) -> HttpResponse:
    """One invoice as a PDF, the same file the customer downloads."""
    return invoice_pdf_response(invoice_for_staff(member, invoice_id, what="PDF"))
