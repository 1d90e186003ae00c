"""Invoices: numbered without gaps per year, billing details as issued (kept through erasure of
the account), HTML and PDF, only for their owner (R14, R38)."""

from __future__ import annotations

import re
import threading
import zlib
from collections.abc import Callable

import pytest
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from tutela.audit.api import Actor
from tutela.commerce.models import Invoice, InvoiceSequence, Order
from tutela.commerce.pdf import pdf_text
from tutela.commerce.services import _invoice_sequence_next, invoice_issue
from tutela.crypto.api import KeyClass, is_erased, subject_shred
from tutela.customers.api import ProfileChange, customer_update
from tutela.customers.models import Customer


def pdf_content(pdf: bytes) -> bytes:
    """Every page content stream of a PDF, inflated (fpdf2 compresses them)."""
    parts = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            parts.append(zlib.decompress(stream))
        except zlib.error:
            parts.append(stream)
    return b"\n".join(parts)


def raw_column(column: str) -> list[bytes]:
    """The invoice column as the database holds it (table and column names are ours)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {Invoice._meta.db_table}")  # noqa: S608
        return [bytes(row[0]) for row in cursor.fetchall()]


@pytest.mark.django_db
def test_invoice_numbers_run_without_gaps_within_the_year(
    make_customer: Callable[..., Customer], paid_order: Callable[..., Order]
) -> None:
    year = timezone.localdate().year
    numbers = [paid_order(make_customer()).invoice.number for _ in range(3)]
    assert numbers == [f"INV-{year}-{n:06d}" for n in (1, 2, 3)]
    assert InvoiceSequence.objects.get(year=year).last_number == 3


@pytest.mark.django_db
def test_a_number_allocated_in_a_failed_transaction_is_used_by_the_next_invoice() -> None:
    """The counter moves with the invoice or not at all: a rolled-back invoice leaves no gap."""
    with pytest.raises(RuntimeError), transaction.atomic():
        assert _invoice_sequence_next(2031) == 1
        raise RuntimeError("the invoice could not be stored")
    assert _invoice_sequence_next(2031) == 1
    assert _invoice_sequence_next(2031) == 2
    assert _invoice_sequence_next(2032) == 1  # each year starts again


@pytest.mark.django_db
def test_an_order_is_invoiced_once_and_only_when_paid(
    make_customer: Callable[..., Customer],
    place_order: Callable[..., Order],
    paid_order: Callable[..., Order],
) -> None:
    from django.core.exceptions import ValidationError

    customer = make_customer()
    actor = Actor.system("test")
    with pytest.raises(ValidationError, match="Only a paid order"):
        invoice_issue(order=place_order(customer), actor=actor)
    order = paid_order(customer)
    with pytest.raises(ValidationError, match="already has an invoice"):
        invoice_issue(order=order, actor=actor)
    assert Invoice.objects.count() == 1


@pytest.mark.django_db
def test_the_invoice_keeps_the_billing_details_as_issued_encrypted(
    make_customer: Callable[..., Customer], paid_order: Callable[..., Order]
) -> None:
    """A later correction of the profile does not rewrite an issued invoice; the snapshot is
    encrypted at rest."""
    customer = make_customer(full_name="Ada Lovelace", company_name="Analytical Engines Ltd")
    invoice = paid_order(customer).invoice
    customer_update(
        customer=customer,
        changes={"full_name": "Ada King", "city": "Ockham"},
        channel=ProfileChange.Channel.SELF_SERVICE,
        actor=Actor.customer(id=customer.user_id),
    )
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert invoice.billing_lines == [
        "Ada Lovelace",
        "Analytical Engines Ltd",
        "12 Marylebone Road",
        "London",
        "NW1 5LR",
        "United Kingdom",
    ]
    assert all(b"Lovelace" not in value for value in raw_column("billing_name"))
    assert all(b"Marylebone" not in value for value in raw_column("billing_address"))


@pytest.mark.django_db
def test_shredding_the_account_key_erases_the_profile_but_not_the_invoice(
    client: Client, make_customer: Callable[..., Customer], paid_order: Callable[..., Order]
) -> None:
    """R14: the financial records use their own key class, so erasing the account (its ACCOUNT
    key) leaves invoices and payments readable for their retention period."""
    customer = make_customer(full_name="Ada Lovelace")
    order = paid_order(customer)
    subject_shred(
        subject=customer.subject_id,
        key_classes=[KeyClass.ACCOUNT],
        actor_label="test",
        reason="erasure request",
    )
    assert is_erased(Customer.objects.get(pk=customer.pk).full_name)
    invoice = Invoice.objects.get(order=order)
    assert invoice.billing_name == "Ada Lovelace"
    assert order.payments.get().card_last4 == "4242"
    client.force_login(customer.user)
    assert "Ada Lovelace" in client.get(f"/shop/invoices/{invoice.pk}/").content.decode()


@pytest.mark.django_db
def test_the_customer_sees_the_invoice_as_a_page_and_as_a_pdf(
    client: Client, make_customer: Callable[..., Customer], paid_order: Callable[..., Order]
) -> None:
    customer = make_customer(full_name="Ada Lovelace")
    invoice = paid_order(customer).invoice
    client.force_login(customer.user)
    page = client.get(f"/shop/invoices/{invoice.pk}/")
    html = page.content.decode()
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    for text in (
        invoice.number,
        "C-MES Solutions Ltd",
        "11244685",
        "Ada Lovelace",
        "Label printer LP-200",
        "VAT at 20%",
        "\u00a3498.00",
        "\u00a399.60",
        "\u00a3597.60",
        "Visa card ending 4242",
    ):
        assert text in html, text

    response = client.get(f"/shop/invoices/{invoice.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{invoice.number}.pdf"'
    assert response.content.startswith(b"%PDF-")
    content = pdf_content(response.content)
    # The pound sign is byte 0xA3 in the core font's Windows-1252 encoding.
    for text in (invoice.number, "Ada Lovelace", "VAT at 20%", "\u00a3597.60", "ending 4242"):
        assert text.encode("windows-1252") in content, text


def test_pdf_text_keeps_what_the_core_font_can_print_and_approximates_the_rest() -> None:
    assert pdf_text("\u00a3120.00 \u2013 \u201cok\u201d") == "\u00a3120.00 \u2013 \u201cok\u201d"
    assert pdf_text("\u0141ukasz Wo\u017aniak") == "Lukasz Wozniak"
    assert pdf_text("\u5f20\u4f1f") == "??"


@pytest.mark.django_db
def test_a_name_outside_the_core_font_still_gives_a_pdf(
    client: Client, make_customer: Callable[..., Customer], paid_order: Callable[..., Order]
) -> None:
    customer = make_customer(full_name="Zo\u00eb \u0141\u0105cka")
    invoice = paid_order(customer).invoice
    client.force_login(customer.user)
    response = client.get(f"/shop/invoices/{invoice.pk}/pdf/")
    assert response.status_code == 200
    assert "Zo\u00eb Lacka".encode("windows-1252") in pdf_content(response.content)


@pytest.mark.django_db
def test_another_customer_cannot_see_the_invoice(
    client: Client, make_customer: Callable[..., Customer], paid_order: Callable[..., Order]
) -> None:
    """R38: 404 for the page and the PDF, so invoice ids reveal nothing."""
    invoice = paid_order(make_customer()).invoice
    client.force_login(make_customer().user)
    assert client.get(f"/shop/invoices/{invoice.pk}/").status_code == 404
    assert client.get(f"/shop/invoices/{invoice.pk}/pdf/").status_code == 404
    assert invoice.number not in client.get("/shop/orders/").content.decode()


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the in-memory SQLite test database locks whole tables across threads and reports it "
    "at once (SQLITE_LOCKED ignores the busy timeout); a SQLite file serialises writers itself",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_allocations_get_distinct_consecutive_numbers() -> None:
    """Four transactions racing for the first numbers of a year (the row does not exist yet):
    the row lock (and get_or_create's retry) gives each its own number, with no gap."""
    barrier = threading.Barrier(4)
    results: list[int] = []
    errors: list[BaseException] = []

    def allocate() -> None:
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                results.append(_invoice_sequence_next(2040))
        except BaseException as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=allocate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(results) == [1, 2, 3, 4]
    assert InvoiceSequence.objects.get(year=2040).last_number == 4
