"""Staff view of the security log of visits: the privacy officer's, every page access-logged."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tutela.staff.access import staff_required
from tutela.staff.roles import VIEW_SECURITY_LOG
from tutela.staff.selectors import StaffMember
from tutela.staff.visits_forms import VisitsFilterForm
from tutela.staff.visits_selectors import visits_for_staff, visits_page_read

PAGE_SIZE = 50


@staff_required(VIEW_SECURITY_LOG)
@require_GET
def visits(request: HttpRequest, member: StaffMember) -> HttpResponse:
    """Visits by hour, newest first, filtered by address or person; a bad filter searches
    nothing and says which field is wrong."""
    form = VisitsFilterForm(request.GET or None)
    context: dict[str, object] = {"member": member, "form": form, "page": None, "rows": []}
    if not form.is_bound or form.is_valid():
        filters = form.cleaned_data if form.is_bound else {}
        found = visits_for_staff(
            member, ip=filters.get("ip") or "", subject_id=filters.get("subject")
        )
        page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
        customers = visits_page_read(member, page.object_list)
        context["page"] = page
        context["rows"] = [(visit, customers.get(visit.subject_id)) for visit in page.object_list]
    return render(request, "staff/visits/visits.html", context)
