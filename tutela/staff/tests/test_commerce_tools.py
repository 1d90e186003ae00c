"""Finance reads orders and invoices; every read is in the access log (R7, R8, R38)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from tutela.accounts.models import User
from tutela.audit.api import AccessEvent, Actor
from tutela.commerce.models import Order, Product
from tutela.commerce.providers import CardDetails, payment_provider
from tutela.commerce.services import order_place, payment_take, product_create
from tutela.customers.models import Customer


@pytest.fixture
def paid_order(db: None) -> Callable[[Customer], Order]:
    """A customer's order of one label printer, paid with the fake provider's Visa test card."""
    printer = product_create(
        name="Label printer LP-200",
        description="",
        kind="product",
        price_pence=24_900,
        actor=Actor.system("test"),
    )

    def make(customer: Customer) -> Order:
        actor = Actor.customer(id=customer.user_id)
        order = order_place(customer=customer, lines=[(printer, 1)], actor=actor)
        card = CardDetails(
            number="4242424242424242",
            exp_month=12,
            exp_year=timezone.localdate().year + 1,
            cvc="123",
        )
        payment_take(order=order, card=payment_provider().tokenize(card=card), actor=actor)
        return Order.objects.select_related("invoice").get(pk=order.pk)

    return make


def staff_paths(order: Order) -> list[str]:
    invoice = order.invoice
    return [
        "/staff/orders/",
        f"/staff/orders/{order.pk}/",
        "/staff/invoices/",
        f"/staff/invoices/{invoice.pk}/",
        f"/staff/invoices/{invoice.pk}/pdf/",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["support", "privacy_officer", "marketing"])
def test_other_roles_cannot_see_orders_or_invoices(
    client: Client,
    make_customer: Callable[..., Customer],
    make_staff: Callable[..., User],
    paid_order: Callable[[Customer], Order],
    role: str,
) -> None:
    """R8: least privilege; only finance reads the financial records, and a refusal reads
    nothing (no access event)."""
    order = paid_order(make_customer())
    logged = AccessEvent.objects.count()
    client.force_login(make_staff(role=role))
    for path in staff_paths(order):
        assert client.get(path).status_code == 403, path
    assert AccessEvent.objects.count() == logged
    assert "/staff/orders/" not in client.get("/staff/").content.decode()


@pytest.mark.django_db
def test_customers_and_anonymous_visitors_cannot_reach_the_finance_pages(
    client: Client, make_customer: Callable[..., Customer], paid_order: Callable[[Customer], Order]
) -> None:
    customer = make_customer()
    order = paid_order(customer)
    for path in staff_paths(order):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/staff/login/")
    client.force_login(customer.user)  # even for their own order
    for path in staff_paths(order):
        assert client.get(path).status_code == 403, path


@pytest.mark.django_db
def test_finance_lists_orders_and_each_read_is_logged(
    client: Client,
    make_customer: Callable[..., Customer],
    make_staff: Callable[..., User],
    paid_order: Callable[[Customer], Order],
) -> None:
    first, second = paid_order(make_customer()), paid_order(make_customer())
    client.force_login(make_staff(role="finance", name="Tom"))
    console = client.get("/staff/").content.decode()
    assert 'href="/staff/orders/"' in console and 'href="/staff/invoices/"' in console
    assert "/staff/customers/" not in console
    page = client.get("/staff/orders/").content.decode()
    assert first.reference in page and second.reference in page
    events = AccessEvent.objects.filter(detail="order list")
    assert {event.subject for event in events} == {str(first.subject_id), str(second.subject_id)}
    for event in events:
        assert event.category_keys == ["order_details"] and event.action == "read"
        assert event.purpose == "provide_products" and event.actor_label == "Tom (finance)"


@pytest.mark.django_db
def test_finance_reads_an_order_with_its_payment_but_never_the_token(
    client: Client,
    make_customer: Callable[..., Customer],
    make_staff: Callable[..., User],
    paid_order: Callable[[Customer], Order],
) -> None:
    order = paid_order(make_customer())
    payment = order.payments.get()
    client.force_login(make_staff(role="finance"))
    page = client.get(f"/staff/orders/{order.pk}/").content.decode()
    assert "Visa ending 4242" in page and order.invoice.number in page
    assert payment.provider_token not in page and payment.provider_reference not in page
    # Finance may not open the customer's profile, so the page offers no link to it.
    assert f"/staff/customers/{order.customer_id}/" not in page
    event = AccessEvent.objects.get(detail=f"order {order.reference}")
    assert event.subject == str(order.subject_id)
    assert event.category_keys == ["order_details", "payment_details"]


@pytest.mark.django_db
def test_finance_reads_invoices_as_page_and_pdf_and_each_read_is_logged(
    client: Client,
    make_customer: Callable[..., Customer],
    make_staff: Callable[..., User],
    paid_order: Callable[[Customer], Order],
) -> None:
    customer = make_customer(full_name="Ada Lovelace")
    invoice = paid_order(customer).invoice
    client.force_login(make_staff(role="finance", name="Tom"))
    listing = client.get("/staff/invoices/").content.decode()
    assert invoice.number in listing and "Ada Lovelace" in listing
    page = client.get(f"/staff/invoices/{invoice.pk}/")
    assert "Ada Lovelace" in page.content.decode() and "no-store" in page["Cache-Control"]
    pdf = client.get(f"/staff/invoices/{invoice.pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    details = list(
        AccessEvent.objects.filter(subject=str(customer.subject_id), action="read")
        .order_by("sequence")
        .values_list("detail", "purpose", "categories")
    )
    assert details == [
        ("invoice list", "legal_compliance", "invoices"),
        (f"invoice {invoice.number} (page)", "legal_compliance", "invoices,payment_details"),
        (f"invoice {invoice.number} (PDF)", "legal_compliance", "invoices,payment_details"),
    ]


@pytest.mark.django_db
def test_unknown_orders_and_invoices_are_404_for_finance(
    client: Client, make_staff: Callable[..., User]
) -> None:
    client.force_login(make_staff(role="finance"))
    missing = "00000000-0000-4000-8000-000000000000"
    assert client.get(f"/staff/orders/{missing}/").status_code == 404
    assert client.get(f"/staff/invoices/{missing}/").status_code == 404
    assert client.get(f"/staff/invoices/{missing}/pdf/").status_code == 404
    assert not AccessEvent.objects.exists()


@pytest.mark.django_db
def test_the_finance_lists_cost_the_same_queries_for_many_records(
    client: Client,
    make_customer: Callable[..., Customer],
    make_staff: Callable[..., User],
    paid_order: Callable[[Customer], Order],
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    """No N+1 on the paginated lists: lines prefetched, invoice keys opened in one query. One
    customer's orders, so the access log writes one event per page either way (its cost per
    subject shown is the log's, measured in docs/benchmarks.md)."""
    client.force_login(make_staff(role="finance"))
    customer = make_customer()
    paid_order(customer)
    counts = {}
    for path in ("/staff/orders/", "/staff/invoices/"):
        with django_assert_max_num_queries(30) as one:  # type: ignore[attr-defined]
            client.get(path)
        counts[path] = len(one.captured_queries)
    for _ in range(4):
        paid_order(customer)
    for path, count in counts.items():
        with django_assert_max_num_queries(count):  # type: ignore[attr-defined]
            client.get(path)
    assert Product.objects.count() == 1
