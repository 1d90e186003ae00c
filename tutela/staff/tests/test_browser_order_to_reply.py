"""Issue 4's journey in Chromium: a customer orders and pays, reads the invoice, opens an
application; support answers it from the staff console; the customer reads the reply."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail

from tutela.accounts.api import User
from tutela.audit.api import Actor
from tutela.commerce.models import Invoice, Payment
from tutela.commerce.services import product_create
from tutela.customers.models import Customer
from tutela.support.models import Application

PASSWORD = "a long and unusual passphrase"


def _sign_in(page: Any, path: str, email: str) -> None:
    page.goto(path)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=False).first.click()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_order_pay_read_the_invoice_then_an_application_gets_a_reply(
    browser_page: Any,
    make_customer: Callable[..., Customer],
    make_staff: Callable[..., User],
) -> None:
    page = browser_page
    customer = make_customer(email="grace@example.com", password=PASSWORD, full_name="Grace Hopper")
    make_staff(role="support", email="sam@c-mes.example", name="Sam", password=PASSWORD)
    product_create(
        name="Compiler audit",
        description="A day of review",
        kind="service",
        price_pence=50_000,
        actor=Actor.system("test"),
    )

    _sign_in(page, "/accounts/login/", "grace@example.com")
    page.get_by_role("heading", name="My account").wait_for()

    # Order and pay: £500.00 + 20% VAT.
    page.goto("/shop/")
    page.get_by_role("row", name="Compiler audit").get_by_role("link", name="Order").click()
    page.get_by_label("Quantity").fill("1")
    page.get_by_role("button", name="Review the order").click()
    page.get_by_role("button", name="Confirm the order").click()  # goes on to payment
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry date (MM/YY)").fill("12/39")
    page.get_by_label("Security code").fill("123")
    page.get_by_role("button", name="Pay £600.00").click()

    # The invoice: the billing name copied from the profile, the total with VAT.
    page.get_by_role("heading", name="Invoice").wait_for()
    page.get_by_role("link", name="view", exact=True).click()
    page.get_by_text("Grace Hopper").first.wait_for()
    assert "£600.00" in page.content()
    invoice = Invoice.objects.get()
    assert invoice.number in page.content()
    assert Payment.objects.get().card_last4 == "4242"

    # An application, answered by support from the queue.
    page.goto("/applications/new/")
    page.get_by_label("Subject").fill("Invoice address")
    page.get_by_label("Your message").fill("Please send the audit report to our Leeds office.")
    page.get_by_role("button", name="Send the application").click()
    page.get_by_text("Please send the audit report to our Leeds office.").wait_for()
    application = Application.objects.get()
    assert application.customer_id == customer.pk

    staff_context = page.context.browser.new_context(base_url=page.url.split("/applications")[0])
    staff_page = staff_context.new_page()
    staff_page.set_default_timeout(15_000)
    try:
        _sign_in(staff_page, "/staff/login/", "sam@c-mes.example")
        staff_page.goto("/staff/applications/")
        staff_page.get_by_role("link", name="Invoice address").click()
        staff_page.get_by_role("textbox", name="Reply").fill("Done: the report goes to Leeds.")
        staff_page.get_by_role("button", name="Send the reply").click()
        staff_page.get_by_text("the customer has been told by email").wait_for()
    finally:
        staff_context.close()

    # The customer is told by email (without the reply's text) and reads it in the account.
    notice = mail.outbox[-1]
    assert notice.to == ["grace@example.com"]
    assert "Leeds" not in str(notice.body)
    page.reload()
    page.get_by_text("Done: the report goes to Leeds.").wait_for()
    assert "Sam (support)" in page.content()
