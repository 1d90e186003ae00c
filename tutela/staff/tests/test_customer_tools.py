"""Staff customer tools: search, the customer page, and corrections on the customer's behalf
(R8, R15, R40)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client

from tutela.accounts.models import SecurityEvent, User
from tutela.audit.api import AccessEvent, audit_verify
from tutela.conftest import DEMO_PASSWORD
from tutela.customers.models import PROFILE_FIELDS, Customer, ProfileChange
from tutela.policy.api import catalog_entry
from tutela.staff.models import StaffCorrection
from tutela.staff.selectors import (
    customer_for_staff,
    customers_search_for_staff,
    security_log_for_staff,
    staff_member_for_user,
)
from tutela.staff.services import customer_correct


def correction_data(client: Client, customer: Customer, **changes: str) -> dict[str, Any]:
    """The correction form as the page renders it, with `changes` typed over it."""
    form = client.get(f"/staff/customers/{customer.pk}/correct/").context["form"]
    data = {name: form.initial.get(name) or "" for name in PROFILE_FIELDS}
    data["country"] = str(data["country"])
    data.update(changes)
    return data


@pytest.fixture
def officer(client: Client, make_staff: Callable[..., User]) -> User:
    user = make_staff(role="privacy_officer", name="Dana")
    client.force_login(user)
    return user


@pytest.mark.django_db
def test_search_by_email_is_an_exact_match(
    client: Client, make_customer: Callable[..., Customer], make_staff: Callable[..., User]
) -> None:
    make_customer(email="ada@example.com", full_name="Ada Lovelace")
    make_customer(email="ada.byron@example.com", full_name="Ada Byron")
    client.force_login(make_staff(role="support"))
    found = client.get("/staff/customers/", {"q": "ADA@example.com"})
    assert [c.full_name for c in found.context["page"]] == ["Ada Lovelace"]
    partial = client.get("/staff/customers/", {"q": "@example.com"})
    assert list(partial.context["page"]) == []


@pytest.mark.django_db
def test_search_by_whole_name_in_any_case_and_paginates(
    client: Client,
    make_customer: Callable[..., Customer],
    make_staff: Callable[..., User],
    django_assert_num_queries: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Names are encrypted: staff find them by the whole name through the blind index."""
    # A small page keeps the test fast (each customer costs an Argon2 hash); the logic is the same.
    monkeypatch.setattr("tutela.staff.views.SEARCH_PAGE_SIZE", 5)
    hoppers = [make_customer(full_name="Grace Hopper", city=f"Town {n}") for n in range(7)]
    make_customer(full_name="Ada Lovelace")
    client.force_login(make_staff(role="support"))
    client.get("/staff/")  # settle the session so the counts below are the search alone
    # Session, user, role, role permissions, count, page, the page's data keys (one query for
    # all rows), the access log's tail and one batch insert for the page (in a savepoint pair);
    # plus the request's savepoint pair; PostgreSQL adds the chain's advisory lock. No query per
    # row (N+1).
    expected = 13 + (connection.vendor == "postgresql")
    with django_assert_num_queries(expected):
        first = client.get("/staff/customers/", {"q": "  grace HOPPER "})
    assert first.context["page"].paginator.count == 7
    assert len(first.context["page"]) == 5 and "Ada Lovelace" not in first.content.decode()
    assert b"page=2" in first.content
    # The same queries for any page: the email column does not cost one query per row (N+1).
    with django_assert_num_queries(expected):
        second = client.get("/staff/customers/", {"q": "grace hopper", "page": "2"})
    assert [c.city for c in second.context["page"]] == [c.city for c in hoppers[5:]]
    # Part of a name matches nothing: there is no plaintext to search.
    assert client.get("/staff/customers/", {"q": "Hopper"}).context["page"].paginator.count == 0


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["a", " ", "x" * 255, "Ada\x00"])
def test_a_bad_search_names_the_field(
    client: Client,
    make_customer: Callable[..., Customer],
    make_staff: Callable[..., User],
    query: str,
) -> None:
    """R40: too short, blank, too long or a NUL byte gets a message, not a list of everyone."""
    make_customer(full_name="Ada Lovelace")
    client.force_login(make_staff(role="support"))
    response = client.get("/staff/customers/", {"q": query})
    assert response.status_code == 200
    assert "q" in response.context["form"].errors
    assert response.context["page"] is None


@pytest.mark.django_db
def test_support_sees_the_profile_and_history_but_not_the_sign_in_log(
    client: Client, make_customer: Callable[..., Customer], make_staff: Callable[..., User]
) -> None:
    """R8: support has no reason to see IP addresses; the privacy officer does."""
    customer = make_customer(email="ada@example.com", full_name="Ada Lovelace")
    Client().post("/accounts/login/", {"login": "ada@example.com", "password": DEMO_PASSWORD})
    assert SecurityEvent.objects.filter(user=customer.user).exists()

    client.force_login(make_staff(role="support"))
    page = client.get(f"/staff/customers/{customer.pk}/").content.decode()
    assert "Ada Lovelace" in page and "ada@example.com" in page and "NW1 5LR" in page
    assert "Sign-in security log" not in page and "127.0.0.1" not in page
    assert "Correct their details" not in page

    client.force_login(make_staff(role="privacy_officer"))
    page = client.get(f"/staff/customers/{customer.pk}/").content.decode()
    assert "Sign-in security log" in page and "127.0.0.1" in page
    assert "Correct their details" in page


@pytest.mark.django_db
def test_a_privacy_officer_correction_is_kept_with_label_and_reason(
    client: Client, make_customer: Callable[..., Customer], officer: User
) -> None:
    """R15: staff-handled rectification, recorded per field with channel staff and who did it."""
    customer = make_customer(email="ada@example.com")
    data = correction_data(
        client, customer, city="Cambridge", postcode="cb2 1tn", phone="020 7946 0018"
    )
    data["reason"] = "Customer phoned on 3 March with her new address."
    response = client.post(f"/staff/customers/{customer.pk}/correct/", data)
    assert response.status_code == 302
    assert response["Location"] == f"/staff/customers/{customer.pk}/"

    customer.refresh_from_db()
    assert (customer.city, customer.postcode, customer.phone) == (
        "Cambridge",
        "CB2 1TN",
        "+442079460018",
    )
    changes = ProfileChange.objects.filter(customer=customer)
    assert {c.field: (c.old_value, c.new_value) for c in changes} == {
        "city": ("London", "Cambridge"),
        "postcode": ("NW1 5LR", "CB2 1TN"),
        "phone": ("+442080684673", "+442079460018"),
    }
    labels = set(changes.values_list("channel", "actor_label"))
    assert labels == {("staff", "Dana (privacy officer)")}
    correction = StaffCorrection.objects.get()
    assert correction.reason == "Customer phoned on 3 March with her new address."
    assert (correction.actor, correction.actor_label) == (officer, "Dana (privacy officer)")
    assert set(correction.changes.all()) == set(changes)

    staff_page = client.get(f"/staff/customers/{customer.pk}/").content.decode()
    assert "Customer phoned on 3 March" in staff_page
    # The customer sees the correction and who made it (role and first name) in their account.
    client.force_login(customer.user)
    own_page = client.get("/account/").content.decode()
    assert "Cambridge" in own_page and "Dana (privacy officer)" in own_page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("full_name", ""),
        ("full_name", "<script>alert(1)</script>"),
        ("postcode", "ZZZ"),
        ("phone", "12"),
        ("city", "Lon\x00don"),
        ("company_name", "c" * 151),
        ("country", "XX"),
        ("reason", ""),
        ("reason", "r" * 501),
    ],
)
def test_a_bad_correction_names_the_field_and_changes_nothing(
    client: Client,
    make_customer: Callable[..., Customer],
    officer: User,
    field: str,
    value: str,
) -> None:
    """R15 + R40: a clear error on the field at fault; profile and history untouched."""
    customer = make_customer(email="ada@example.com")
    data = correction_data(client, customer, city="Cambridge")
    data["reason"] = "Customer asked by email."
    data[field] = value
    response = client.post(f"/staff/customers/{customer.pk}/correct/", data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert Customer.objects.get(pk=customer.pk).city == "London"
    assert not ProfileChange.objects.exists() and not StaffCorrection.objects.exists()


@pytest.mark.django_db
def test_a_correction_that_changes_nothing_is_refused(
    client: Client, make_customer: Callable[..., Customer], officer: User
) -> None:
    """Retyping the stored phone in national format is the same number, not a correction."""
    customer = make_customer(email="ada@example.com")
    data = correction_data(client, customer, phone="020 8068 4673")
    data["reason"] = "Checked with the customer."
    response = client.post(f"/staff/customers/{customer.pk}/correct/", data)
    assert response.status_code == 200
    assert "Nothing to correct" in response.content.decode()
    assert not ProfileChange.objects.exists() and not StaffCorrection.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["support", "marketing", "finance"])
def test_other_roles_cannot_post_a_correction(
    client: Client,
    make_customer: Callable[..., Customer],
    make_staff: Callable[..., User],
    role: str,
) -> None:
    """R8: only the privacy officer corrects; a forged POST from support changes nothing."""
    customer = make_customer(email="ada@example.com")
    client.force_login(make_staff(role="privacy_officer"))
    data = correction_data(client, customer, city="Cambridge")
    data["reason"] = "Forged."
    client.force_login(make_staff(role=role))
    response = client.post(f"/staff/customers/{customer.pk}/correct/", data)
    assert response.status_code == 403
    assert Customer.objects.get(pk=customer.pk).city == "London"
    assert not ProfileChange.objects.exists() and not StaffCorrection.objects.exists()


@pytest.mark.django_db
def test_selectors_and_services_check_the_role_themselves(
    make_customer: Callable[..., Customer], make_staff: Callable[..., User]
) -> None:
    """R8: a future caller that forgets the view decorator (API, task) is still refused."""
    customer = make_customer()
    marketing = staff_member_for_user(make_staff(role="marketing"))
    support = staff_member_for_user(make_staff(role="support"))
    assert marketing is not None and support is not None
    with pytest.raises(PermissionDenied):
        customer_for_staff(marketing, customer.pk)
    with pytest.raises(PermissionDenied):
        customers_search_for_staff(marketing, query="Ada")
    with pytest.raises(PermissionDenied):
        security_log_for_staff(support, customer)
    with pytest.raises(PermissionDenied):
        customer_correct(customer=customer, changes={"city": "Leeds"}, reason="x", actor=support)
    assert not ProfileChange.objects.exists()


@pytest.mark.django_db
def test_every_staff_read_is_in_the_access_log(
    client: Client,
    make_customer: Callable[..., Customer],
    make_staff: Callable[..., User],
) -> None:
    """R7: each staff read appends a chained event: who (first name and role), whose data
    (subject id), which categories, why, request id and IP; never the data itself."""
    customer = make_customer(email="ada@example.com", full_name="Ada Lovelace")
    officer = make_staff(role="privacy_officer", name="Dana")
    client.force_login(officer)
    client.get("/staff/customers/", {"q": "ada lovelace"}, HTTP_X_REQUEST_ID="req-search-0001")
    client.get(f"/staff/customers/{customer.pk}/", REMOTE_ADDR="203.0.113.9")
    events = list(AccessEvent.objects.order_by("sequence"))
    assert [(e.detail, e.purpose) for e in events] == [
        ("search results", "respond_to_requests"),
        ("profile", "respond_to_requests"),
        ("profile history", "respond_to_requests"),
        ("security log", "security_fraud_prevention"),
    ]
    assert {e.subject for e in events} == {str(customer.subject_id)}
    assert {(e.actor_label, e.actor_id, e.action) for e in events} == {
        ("Dana (privacy officer)", officer.pk, "read")
    }
    assert events[0].request_id == "req-search-0001"
    assert events[1].ip == "203.0.113.9"
    assert set(events[1].category_keys) >= {"name", "contact_address", "contact_email"}
    assert events[3].category_keys == ["ip_address"]
    for event in events:
        stored = " ".join(str(v) for v in vars(event).values())
        assert "Lovelace" not in stored and "ada@example.com" not in stored
    assert audit_verify().ok


@pytest.mark.django_db
def test_a_staff_correction_is_logged_as_a_change(
    client: Client, make_customer: Callable[..., Customer], officer: User
) -> None:
    customer = make_customer(email="ada@example.com")
    data = correction_data(client, customer, city="Cambridge", phone="+441223000000")
    data["reason"] = "Customer phoned on 3 March."
    client.post(f"/staff/customers/{customer.pk}/correct/", data)
    change = AccessEvent.objects.get(action="change")
    assert change.actor_label == "Dana (privacy officer)"
    assert sorted(change.category_keys) == ["contact_address", "contact_phone"]
    assert change.subject == str(customer.subject_id)


@pytest.mark.django_db
def test_a_correction_reason_is_filed_under_the_customer_in_the_catalog(
    client: Client, make_customer: Callable[..., Customer], officer: User
) -> None:
    """R9/R14: the reason is the customer's correspondence, found by the generic catalog walk."""
    customer = make_customer(email="ada@example.com")
    other = make_customer(email="grace@example.com")
    data = correction_data(client, customer, city="Cambridge")
    data["reason"] = "Customer wrote on 3 March."
    client.post(f"/staff/customers/{customer.pk}/correct/", data)
    entry = catalog_entry(StaffCorrection)
    assert entry is not None and entry.categories == ("correspondence",)
    assert [c.reason for c in entry.rows_for(str(customer.user.subject_id))] == [
        "Customer wrote on 3 March."
    ]
    assert not entry.rows_for(str(other.user.subject_id)).exists()
