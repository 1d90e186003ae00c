"""Every staff view's authorisation rule, for anonymous, a customer and each role (R8, R38)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from tutela.accounts.models import User
from tutela.conftest import DEMO_PASSWORD
from tutela.customers.models import Customer
from tutela.staff.roles import Role

ALL_ROLES = frozenset(Role)
# view -> (path template, method, roles allowed). The path names a real customer.
VIEWS: dict[str, tuple[str, str, frozenset[Role]]] = {
    "console": ("/staff/", "get", ALL_ROLES),
    "search": ("/staff/customers/?q=Ada", "get", frozenset({Role.SUPPORT, Role.PRIVACY_OFFICER})),
    "detail": ("/staff/customers/{id}/", "get", frozenset({Role.SUPPORT, Role.PRIVACY_OFFICER})),
    "correction form": ("/staff/customers/{id}/correct/", "get", frozenset({Role.PRIVACY_OFFICER})),
    "problem reports": ("/staff/problems/", "get", frozenset({Role.SUPPORT})),
    "orders": ("/staff/orders/", "get", frozenset({Role.FINANCE})),
    "invoices": ("/staff/invoices/", "get", frozenset({Role.FINANCE})),
    "applications": ("/staff/applications/", "get", frozenset({Role.SUPPORT})),
    "questionnaires": ("/staff/questionnaires/", "get", frozenset({Role.MARKETING})),
    "questionnaire form": ("/staff/questionnaires/new/", "get", frozenset({Role.MARKETING})),
    "contests": ("/staff/contests/", "get", frozenset({Role.MARKETING})),
    "contest form": ("/staff/contests/new/", "get", frozenset({Role.MARKETING})),
    "rights queue": ("/staff/rights/", "get", frozenset({Role.PRIVACY_OFFICER})),
    "rights closed": ("/staff/rights/closed/", "get", frozenset({Role.PRIVACY_OFFICER})),
    "rights entry form": ("/staff/rights/new/", "get", frozenset({Role.PRIVACY_OFFICER})),
    "mail subscriptions": ("/staff/subscriptions/", "get", frozenset({Role.SUPPORT})),
    "campaigns": ("/staff/campaigns/", "get", frozenset({Role.MARKETING})),
    "campaign form": ("/staff/campaigns/new/", "get", frozenset({Role.MARKETING})),
    "correction post": (
        "/staff/customers/{id}/correct/",
        "post",
        frozenset({Role.PRIVACY_OFFICER}),
    ),
}


def request(client: Client, view: str, customer: Customer) -> tuple[int, str]:
    template, method, _ = VIEWS[view]
    path = template.format(id=customer.pk)
    if method == "post":
        response = client.post(path, {"full_name": "Changed By Someone"})
    else:
        response = client.get(path)
    return response.status_code, response.get("Location", "")


@pytest.mark.django_db
@pytest.mark.parametrize("view", VIEWS)
def test_anonymous_visitors_are_sent_to_the_staff_sign_in(
    client: Client, make_customer: Callable[..., Customer], view: str
) -> None:
    """R38: no staff page answers without sign-in; the redirect is to the staff door."""
    customer = make_customer(full_name="Ada Lovelace")
    status, location = request(client, view, customer)
    path = VIEWS[view][0].format(id=customer.pk)
    assert status == 302
    assert location == f"/staff/login/?next={quote(path, safe='/')}"


@pytest.mark.django_db
@pytest.mark.parametrize("view", VIEWS)
def test_customers_are_refused_every_staff_page(
    client: Client, make_customer: Callable[..., Customer], view: str
) -> None:
    """R38: a signed-in customer gets 403, even for their own record."""
    customer = make_customer(email="ada@example.com", full_name="Ada Lovelace")
    client.force_login(customer.user)
    assert request(client, view, customer)[0] == 403
    customer.refresh_from_db()
    assert customer.full_name == "Ada Lovelace"


@pytest.mark.django_db
@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("role", list(Role))
def test_each_role_reaches_exactly_its_pages(
    client: Client,
    make_customer: Callable[..., Customer],
    make_staff: Callable[..., User],
    view: str,
    role: Role,
) -> None:
    """R8 + R38: the right role is let in, every other role gets 403."""
    customer = make_customer(full_name="Ada Lovelace")
    client.force_login(make_staff(role=role.value))
    status, location = request(client, view, customer)
    allowed = role in VIEWS[view][2]
    if not allowed:
        assert status == 403
    elif view == "correction post":
        # Allowed in, and the (incomplete) form is refused with errors rather than saved.
        assert status == 200
    else:
        assert status == 200, location


@pytest.mark.django_db
@pytest.mark.parametrize("view", VIEWS)
def test_staff_without_exactly_one_role_are_refused(
    client: Client,
    make_customer: Callable[..., Customer],
    make_staff: Callable[..., User],
    view: str,
) -> None:
    """A staff account with no role, or with two, may use nothing: the role is the only grant."""
    customer = make_customer()
    no_role = User.objects.create_user(email="norole@c-mes.example", is_staff=True)
    client.force_login(no_role)
    assert request(client, view, customer)[0] == 403

    two_roles = make_staff(role="privacy_officer")
    two_roles.groups.add(Group.objects.get(name="support"))
    client.force_login(two_roles)
    assert request(client, view, customer)[0] == 403


@pytest.mark.django_db
def test_superuser_flag_and_personal_permissions_grant_nothing(
    client: Client, make_customer: Callable[..., Customer], make_staff: Callable[..., User]
) -> None:
    """Least privilege (R8): only the role counts, not is_superuser or a per-user permission."""
    customer = make_customer()
    member = make_staff(role="marketing")
    member.is_superuser = True
    member.save()
    member.user_permissions.add(
        *Group.objects.get(name="privacy_officer").permissions.all()  # everything the DPO has
    )
    client.force_login(member)
    assert client.get("/staff/").status_code == 200
    assert client.get(f"/staff/customers/{customer.pk}/").status_code == 403


@pytest.mark.django_db
def test_a_customer_in_a_role_group_is_still_refused(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    """A role without is_staff is not staff: group membership alone opens nothing."""
    customer = make_customer(email="ada@example.com")
    customer.user.groups.add(Group.objects.get(name="privacy_officer"))
    client.force_login(customer.user)
    assert client.get(f"/staff/customers/{customer.pk}/").status_code == 403


@pytest.mark.django_db
def test_an_unknown_customer_is_a_404_for_staff_who_may_look(
    client: Client, make_staff: Callable[..., User]
) -> None:
    client.force_login(make_staff(role="support"))
    assert client.get("/staff/customers/999999/").status_code == 404


@pytest.mark.django_db
def test_signing_in_after_the_redirect_returns_to_the_page_asked_for(
    client: Client, make_customer: Callable[..., Customer], make_staff: Callable[..., User]
) -> None:
    customer = make_customer()
    make_staff(role="support", email="sam@c-mes.example")
    path = f"/staff/customers/{customer.pk}/"
    login_url = client.get(path)["Location"]
    response = client.post(login_url, {"login": "sam@c-mes.example", "password": DEMO_PASSWORD})
    assert response.status_code == 302 and response["Location"] == path


@pytest.mark.django_db
def test_the_console_offers_each_role_only_its_tools(
    client: Client, make_staff: Callable[..., User]
) -> None:
    client.force_login(make_staff(role="marketing", name="Priya"))
    page = client.get("/staff/").content.decode()
    assert "Marketing" in page and 'href="/staff/questionnaires/"' in page
    assert "/staff/customers/" not in page and "/staff/problems/" not in page

    client.force_login(make_staff(role="finance", name="Tom"))
    page = client.get("/staff/").content.decode()
    assert 'href="/staff/orders/"' in page and 'href="/staff/invoices/"' in page
    assert "/staff/customers/" not in page and "/staff/problems/" not in page

    client.force_login(make_staff(role="support"))
    page = client.get("/staff/").content.decode()
    assert 'href="/staff/customers/"' in page and "Correct a customer" not in page

    client.force_login(make_staff(role="privacy_officer"))
    page = client.get("/staff/").content.decode()
    assert "Find a customer" in page and "Correct a customer" in page and "sign-in log" in page
