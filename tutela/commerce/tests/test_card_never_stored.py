"""The card number never appears in the database, the logs or the exports (R43, PCI DSS).

A real checkout through the pages (a declined card, a mistyped security code, then a good
card), the customer's and finance's pages, then a search of: every row of every table of every
database, every SQL statement sent with its parameters, every log record at DEBUG level, a
`dumpdata` export, every personal field of the customer decrypted (what an access export
holds), the pages and invoice PDFs, and the decoded sessions.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tutela.accounts.models import User
from tutela.commerce.models import Invoice, Order, Product
from tutela.commerce.tests.conftest import DECLINED, card
from tutela.customers.models import Customer
from tutela.policy.api import rows_for_subject
from tutela.staff.services import staff_member_create

VISA_TYPED = "4242 4242 4242 4242"  # as people type it, with spaces
CARD_NUMBERS = ("4242424242424242", VISA_TYPED, DECLINED, "4000 0000 0000 0002")


def _text(value: object) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        # Latin-1 maps every byte to one character, so any ASCII digits stored are found.
        return bytes(value).decode("latin-1")
    return str(value)


def database_rows() -> Iterator[tuple[str, str]]:
    """(table, text of one row) for every row of every table of every configured database."""
    for alias in settings.DATABASES:
        connection = connections[alias]
        with connection.cursor() as cursor:
            for table in connection.introspection.table_names(cursor):
                quoted = connection.ops.quote_name(table)
                cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 (names from the database)
                for row in cursor.fetchall():
                    yield table, "\x1f".join(_text(value) for value in row)


def assert_no_card_number(where: str, text: str) -> None:
    for number in CARD_NUMBERS:
        assert number not in text, f"card number {number} found in {where}"


@pytest.mark.django_db
def test_the_card_number_is_nowhere_after_a_real_checkout(
    client: Client,
    make_customer: Callable[..., Customer],
    products: dict[str, Product],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Django's own loggers stop at INFO unless told otherwise; the SQL log is at DEBUG.
    for name in (None, "django", "django.db.backends", "tutela"):
        caplog.set_level(logging.DEBUG, logger=name)
    customer = make_customer(full_name="Ada Lovelace")
    client.force_login(customer.user)
    default = connections["default"]
    with CaptureQueriesContext(default) as queries:
        client.post(
            "/shop/order/", {"product": products["printer"].pk, "quantity": "1", "step": "confirm"}
        )
        order = Order.objects.get()
        pay = f"/shop/orders/{order.pk}/pay/card/"
        declined = client.post(pay, card(DECLINED))
        mistyped = client.post(pay, card(VISA_TYPED, cvc="12"))
        paid = client.post(pay, card(VISA_TYPED))
        pages = [
            declined,
            mistyped,
            paid,
            client.get(f"/shop/orders/{order.pk}/"),
            client.get("/shop/orders/"),
        ]
        invoice = Invoice.objects.get()
        pages.append(client.get(f"/shop/invoices/{invoice.pk}/"))
        pdf = client.get(f"/shop/invoices/{invoice.pk}/pdf/")
        finance: User = staff_member_create(
            email="tom@c-mes.example",
            name="Tom",
            role="finance",
            password="a long finance passphrase",
            actor="test",
        )
        staff = Client()
        staff.force_login(finance)
        for path in (
            "/staff/orders/",
            f"/staff/orders/{order.pk}/",
            "/staff/invoices/",
            f"/staff/invoices/{invoice.pk}/",
        ):
            pages.append(staff.get(path))
        staff_pdf = staff.get(f"/staff/invoices/{invoice.pk}/pdf/")
    assert paid.status_code == 302 and Order.objects.get().status == Order.Status.PAID
    assert "declined" in declined.content.decode() and mistyped.context["form"].errors["cvc"]

    # Every table of every database.
    tables: set[str] = set()
    for table, row in database_rows():
        tables.add(table)
        assert_no_card_number(f"table {table}", row)
    # The search reads what it should: the commerce tables, with rows in them.
    assert {"commerce_payment", "commerce_invoice", "django_session"} <= tables
    rows = "\n".join(row for _, row in database_rows())
    assert str(order.pk).replace("-", "") in rows.replace("-", "")
    assert "Label printer LP-200" in rows

    # Every statement sent to the database, with its parameters, and every log record.
    assert len(queries.captured_queries) > 20
    for query in queries.captured_queries:
        assert_no_card_number("an SQL statement", query["sql"])
    logged = {record.name for record in caplog.records}
    assert {"django.db.backends", "tutela.staff.services"} <= logged, logged
    for record in caplog.records:
        assert_no_card_number(f"log record {record.name}", record.getMessage())
        assert_no_card_number(f"log record {record.name}", repr(record.__dict__))
    assert_no_card_number("captured log text", caplog.text)

    # What an access export holds: every catalogued personal field of the customer's rows,
    # decrypted (the table search above cannot see inside ciphertext).
    walked = []
    for entry, rows_of_subject in rows_for_subject(str(customer.subject_id)):
        for instance in rows_of_subject:
            for name in entry.fields:
                walked.append(f"{entry.label}.{name}={getattr(instance, name)}")
    assert any(item.startswith("commerce.Payment.card_last4=4242") for item in walked)
    assert_no_card_number("the decrypted personal data of the customer", "\n".join(walked))

    # Exports: a full dumpdata, the pages and the PDFs.
    exported = StringIO()
    # staff.StaffConsole only carries permissions: it has no table.
    call_command("dumpdata", exclude=["staff.StaffConsole"], stdout=exported)
    assert '"commerce.payment"' in exported.getvalue()
    assert_no_card_number("dumpdata", exported.getvalue())
    for page in pages:
        # The payment page of the fake provider names its public test cards; nothing else may.
        html = re.sub(
            r'<p class="muted" id="test-cards">.*?</p>', "", page.content.decode(), flags=re.S
        )
        assert_no_card_number(f"page {page.wsgi_request.path}", html)
    assert pdf.content.startswith(b"%PDF") and staff_pdf.content == pdf.content
    assert_no_card_number("invoice PDF", pdf.content.decode("latin-1"))

    # Sessions, decoded (the table holds them signed and encoded).
    for session in Session.objects.all():
        assert_no_card_number("a session", str(session.get_decoded()))
