"""The personal account: own data only, editable, with history (R15, R38)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from tutela.accounts.models import User
from tutela.conftest import DEMO_PASSWORD
from tutela.customers.models import Customer, ProfileChange


def sign_in(client: Client, email: str) -> None:
    response = client.post("/accounts/login/", {"login": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.content[:500]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/account/", "/account/profile/"])
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_a_customer_sees_only_their_own_details(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    """R38: there is no URL that names another customer; B never sees A's data."""
    make_customer(email="ada@example.com", full_name="Ada Lovelace", phone="+442079460000")
    make_customer(email="grace@example.com", full_name="Grace Hopper", company_name="Navy Ltd")
    sign_in(client, "grace@example.com")
    for path in ("/account/", "/account/profile/"):
        page = client.get(path).content.decode()
        assert "Grace Hopper" in page
        assert "Ada Lovelace" not in page and "+442079460000" not in page


@pytest.mark.django_db
def test_staff_are_refused_the_customer_account(client: Client) -> None:
    """A staff identity has no personal account; the page answers 403, not another's data."""
    staff = User.objects.create_user(
        email="staff@example.com", password=DEMO_PASSWORD, is_staff=True
    )
    client.force_login(staff)
    assert client.get("/account/").status_code == 403
    assert client.post("/account/profile/", {"full_name": "x"}).status_code == 403


@pytest.mark.django_db
def test_editing_the_profile_keeps_a_history_of_each_change(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    """R15: self-service rectification with old and new values kept."""
    customer = make_customer(email="ada@example.com")
    sign_in(client, "ada@example.com")
    form = client.get("/account/profile/").context["form"]
    data = {name: form.initial.get(name) or "" for name in form.fields}
    data.update(company_name="Difference Engines plc", phone="020 7946 0018")
    response = client.post("/account/profile/", data)
    assert response.status_code == 302

    customer.refresh_from_db()
    assert customer.company_name == "Difference Engines plc"
    assert customer.phone == "+442079460018"
    changes = {c.field: (c.old_value, c.new_value) for c in ProfileChange.objects.all()}
    assert changes == {
        "company_name": ("Analytical Engines Ltd", "Difference Engines plc"),
        "phone": ("+442080684673", "+442079460018"),
    }
    assert set(ProfileChange.objects.values_list("channel", flat=True)) == {"self_service"}
    page = client.get("/account/").content.decode()
    assert "Difference Engines plc" in page and "Analytical Engines Ltd" in page


@pytest.mark.django_db
def test_saving_an_unchanged_form_records_nothing(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    make_customer(email="ada@example.com")
    sign_in(client, "ada@example.com")
    form = client.get("/account/profile/").context["form"]
    data = {name: form.initial.get(name) or "" for name in form.fields}
    client.post("/account/profile/", data)
    assert not ProfileChange.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("full_name", ""),
        ("full_name", "<img src=x>"),
        ("postcode", "ZZZ"),
        ("phone", "12"),
        ("city", "Lon\x00don"),
        ("company_name", "c" * 151),
    ],
)
def test_a_bad_edit_names_the_field_and_changes_nothing(
    client: Client, make_customer: Callable[..., Customer], field: str, value: str
) -> None:
    customer = make_customer(email="ada@example.com")
    sign_in(client, "ada@example.com")
    form = client.get("/account/profile/").context["form"]
    data = {name: form.initial.get(name) or "" for name in form.fields}
    data[field] = value
    response = client.post("/account/profile/", data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    before = Customer.objects.get(pk=customer.pk)
    assert getattr(before, field) == getattr(customer, field)
    assert not ProfileChange.objects.exists()


@pytest.mark.django_db
def test_htmx_edit_returns_a_fragment_and_redirects_after_saving(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    make_customer(email="ada@example.com")
    sign_in(client, "ada@example.com")
    fragment = client.get("/account/profile/", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    assert b"<html" not in fragment.content and b'hx-post="/account/profile/"' in fragment.content
    data = {
        name: fragment.context["form"].initial.get(name) or ""
        for name in fragment.context["form"].fields
    }
    data["city"] = "Cambridge"
    saved = client.post("/account/profile/", data, HTTP_HX_REQUEST="true")
    assert saved.status_code == 204 and saved["HX-Redirect"] == "/account/"
    invalid = client.post("/account/profile/", {**data, "city": ""}, HTTP_HX_REQUEST="true")
    assert invalid.status_code == 200 and b"This field is required" in invalid.content


@pytest.mark.django_db
def test_pages_carry_the_security_headers(client: Client) -> None:
    """R39: CSP without inline script, clickjacking protection, no sniffing."""
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Request-ID"]
