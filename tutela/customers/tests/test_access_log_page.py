"""A customer sees who accessed their data, when and why, in their account (R7): staff by
first name and role, never anyone else's events."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from tutela.audit.api import AccessEvent, Actor, access_record
from tutela.customers.models import Customer


@pytest.mark.django_db
def test_the_account_page_lists_who_read_my_data_and_why(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    ada = make_customer(email="ada@example.com")
    grace = make_customer(email="grace@example.com")
    dana = Actor.staff(id=99, first_name="Dana", role="privacy officer")
    access_record(
        actor=dana,
        subject=ada.subject_id,
        categories=["name", "contact_phone"],
        purpose="respond_to_requests",
        action="read",
    )
    access_record(
        actor=Actor.staff(id=98, first_name="Sam", role="support"),
        subject=grace.subject_id,
        categories=["name"],
        purpose="respond_to_requests",
        action="read",
    )
    client.force_login(ada.user)
    page = client.get("/account/").content.decode()
    assert "<title>My account · C-MES Solutions</title>" in page
    assert page.count('id="access-log"') == 1
    section = page[page.index('id="access-log"') :]
    assert "Dana (privacy officer)" in section
    # Labels from the policy file, not keys.
    assert "Your name" in section and "Phone numbers" in section
    assert "Answering your requests" in section
    assert "Sam (support)" not in page


@pytest.mark.django_db
def test_my_own_edit_appears_as_a_change_by_me(
    client: Client, make_customer: Callable[..., Customer]
) -> None:
    ada = make_customer(email="ada@example.com", city="London")
    client.force_login(ada.user)
    form = client.get("/account/profile/").context["form"]
    data = {name: form.initial.get(name) or "" for name in form.fields}
    data["city"] = "Cambridge"
    client.post("/account/profile/", data)
    event = AccessEvent.objects.get(subject=str(ada.subject_id))
    assert (event.action, event.actor_label, event.category_keys) == (
        "change",
        "you",
        ["contact_address"],
    )
    assert "Cambridge" not in " ".join(str(v) for v in vars(event).values())
    section = client.get("/account/").content.decode().split('id="access-log"')[1]
    assert "you" in section and "Address" in section
