"""In Chromium: a customer asks for their data, proves it is them, downloads it and reads it; a
person without an account asks and confirms by the emailed link (R5, R9, R10, R12, R19)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core import mail

from tutela.conftest import DEMO_PASSWORD
from tutela.customers.api import Customer
from tutela.rights.models import DataSubjectRequest


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_customer_asks_for_their_data_re_authenticates_and_downloads_it(
    browser_page: Any, make_customer: Callable[..., Customer], tmp_path: Path
) -> None:
    customer = make_customer(email="ada@example.com", full_name="Ada Lovelace")
    page = browser_page
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()
    page.get_by_role("heading", name="My account").wait_for()

    page.get_by_role("link", name="Privacy Centre").first.click()
    page.get_by_role("heading", name="Privacy Centre").wait_for()
    page.get_by_role("link", name="Ask: right of access").click()
    # allauth asks for the password again before a sensitive action (R5).
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Right of access").wait_for()
    page.get_by_role("button", name="Send my request").click()
    page.get_by_role("heading", name="Download your data").wait_for()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="JSON file").click()
    saved = tmp_path / "export.json"
    download_info.value.save_as(saved)
    data = json.loads(saved.read_text(encoding="utf-8"))
    assert str(customer.subject_id) in json.dumps(data)
    assert "Ada Lovelace" in json.dumps(data, ensure_ascii=False)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Readable document").click()
    document = tmp_path / "export.html"
    download_info.value.save_as(document)
    page.goto(document.as_uri())  # read it as the person would, from their disk
    assert "Ada Lovelace" in page.content()
    assert DataSubjectRequest.objects.get().status == DataSubjectRequest.Status.DONE


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_person_without_an_account_asks_and_confirms_by_the_emailed_link(
    browser_page: Any, live_server: Any
) -> None:
    page = browser_page
    page.goto("/privacy/")
    page.get_by_role("link", name="Ask with your email address").click()
    page.get_by_label("Delete my data (erasure)").check()
    page.get_by_label("Your name").fill("Grace Hopper")
    page.get_by_label("Your email address").fill("grace@example.org")
    page.get_by_role("button", name="Send my request").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()
    dsr = DataSubjectRequest.objects.get()
    assert not dsr.is_verified

    link = re.search(r"https?://\S+/privacy/verify/\S+/", str(mail.outbox[-1].body))
    assert link, mail.outbox[-1].body
    path = link.group(0).split("/privacy/", 1)[1]
    page.goto(f"/privacy/{path}")
    page.get_by_role("button", name="Confirm my request").click()
    page.get_by_role("heading", name="Thank you: your request is confirmed").wait_for()
    dsr.refresh_from_db()
    assert dsr.status == DataSubjectRequest.Status.IN_PROGRESS
