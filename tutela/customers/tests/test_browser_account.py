"""A person registers, confirms the email, signs in and corrects their details, in Chromium."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail

from tutela.customers.models import Customer, ProfileChange

PASSWORD = "a long and unusual passphrase"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_register_verify_sign_in_and_edit_profile(browser_page: Any, live_server: Any) -> None:
    page = browser_page
    page.goto("/")
    page.get_by_role("link", name="Register").first.click()
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_label("Your name").fill("Grace Hopper")
    page.get_by_label("Company name").fill("Compilers Ltd")
    page.get_by_label("Field of activity").fill("Software")
    page.get_by_label("Address", exact=True).fill("1 Baker Street")
    page.get_by_label("Town or city").fill("London")
    page.get_by_label("Postcode").fill("w1u 6tu")
    page.get_by_label("Phone", exact=True).fill("020 8068 4673")
    page.get_by_role("button", name="Register").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()

    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/\S+/", str(mail.outbox[-1].body))
    assert link, mail.outbox[-1].body
    page.goto(link.group(0))
    page.get_by_role("button", name="Confirm").click()

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()
    page.get_by_role("heading", name="My account").wait_for()
    assert "Grace Hopper" in page.content()
    assert "W1U 6TU" in page.content()

    # htmx swaps the form into the page; the same form also works without JavaScript.
    page.get_by_role("link", name="Edit my details").click()
    page.get_by_label("Company name").fill("Cobol Systems Ltd")
    page.get_by_role("button", name="Save changes").click()
    page.get_by_role("heading", name="My account").wait_for()
    page.get_by_text("Saved 1 change(s).").wait_for()
    assert page.get_by_role("cell", name="Cobol Systems Ltd").count() >= 1

    customer = Customer.objects.get(user__email="grace@example.com")
    assert customer.company_name == "Cobol Systems Ltd"
    change = ProfileChange.objects.get(customer=customer)
    assert (change.field, change.old_value, change.new_value) == (
        "company_name",
        "Compilers Ltd",
        "Cobol Systems Ltd",
    )
