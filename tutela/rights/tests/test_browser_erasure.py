"""In Chromium: a customer asks to be erased from the Privacy Centre; the privacy officer sees
the preview and carries it out; the customer can no longer sign in, and the invoice survives as
the catalog says, the profile it was issued from gone (R5, R14, R42)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tutela.accounts.api import User
from tutela.commerce.api import Invoice, Payment, product_create
from tutela.conftest import DEMO_PASSWORD
from tutela.crypto.api import is_erased
from tutela.customers.api import Customer
from tutela.policy.api import catalog_entry_for
from tutela.rights.models import DataSubjectRequest, ErasureRun
from tutela.rights.tests.erasure_data import DANA, paid_order


def sign_in(page: Any, path: str, email: str) -> None:
    page.goto(path)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=False).first.click()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_customer_asks_to_be_erased_and_the_officer_carries_it_out(
    browser_page: Any, make_customer: Callable[..., Customer], make_staff: Callable[..., User]
) -> None:
    customer = make_customer(email="ada@example.com", full_name="Ada Lovelace")
    printer = product_create(
        name="Label printer", description="", kind="product", price_pence=24_900, actor=DANA
    )
    order = paid_order(customer, printer)
    issued = Invoice.objects.get(order=order)
    make_staff(role="privacy_officer", name="Dana", email="dana@c-mes.example")
    page = browser_page

    sign_in(page, "/accounts/login/", "ada@example.com")
    page.get_by_role("heading", name="My account").wait_for()
    page.get_by_role("link", name="Privacy Centre").first.click()
    page.get_by_role("link", name="Ask: right to delete").click()
    page.get_by_label("Password").fill(DEMO_PASSWORD)  # re-authentication (R5)
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Right to delete").wait_for()
    page.get_by_role("button", name="Send my request").click()
    page.get_by_text("A privacy officer will check it").wait_for()
    dsr = DataSubjectRequest.objects.get()
    assert dsr.kind == "erasure" and dsr.is_verified

    staff_context = page.context.browser.new_context(base_url=page.url.split("/privacy")[0])
    staff = staff_context.new_page()
    staff.set_default_timeout(15_000)
    try:
        sign_in(staff, "/staff/login/", "dana@c-mes.example")
        staff.goto("/staff/rights/")
        staff.get_by_role("link", name=dsr.reference).click()
        staff.get_by_role("link", name="Carry out the erasure").click()
        staff.get_by_role("heading", name="Preview (nothing is changed yet)").wait_for()
        assert (
            "commerce.Invoice" in staff.content() and "Keep under a legal hold" in staff.content()
        )
        staff.get_by_label("I have read the preview above").check()
        staff.get_by_role("button", name="Carry out the erasure").click()
        staff.get_by_role("heading", name="Erased").wait_for()
    finally:
        staff_context.close()

    run = ErasureRun.objects.get(request=dsr)
    assert run.status == ErasureRun.Status.DONE
    # The customer is signed out and cannot sign in again.
    page.goto("/privacy/")
    assert "/privacy/ask/erasure/" not in page.content()
    sign_in(page, "/accounts/login/", "ada@example.com")
    assert page.get_by_role("heading", name="My account").count() == 0
    # The invoice survives; its billing details are kept or erased as its catalog entry says.
    invoice = Invoice.objects.get(pk=issued.pk)
    assert invoice.number == issued.number and invoice.total_pence == issued.total_pence
    if "billing_name" in catalog_entry_for(Invoice).anonymise:
        assert is_erased(invoice.billing_name)
    else:
        assert invoice.billing_name == "Ada Lovelace"  # a VAT invoice as issued
    assert is_erased(Payment.objects.get(order=order).provider_token)
    assert is_erased(Customer.objects.get(pk=customer.pk).full_name)
