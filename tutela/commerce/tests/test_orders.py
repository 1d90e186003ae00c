"""Ordering ("Details of the transactions that you make through our website and the execution of
your orders"): browse, review, confirm, list, isolation, validation (R7, R38, R40)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from tutela.accounts.models import User
from tutela.audit.api import AccessEvent, Actor
from tutela.commerce.models import Order, OrderLine, Product
from tutela.commerce.services import order_place, vat_for
from tutela.customers.models import Customer

ORDER = "/shop/order/"


@pytest.mark.django_db
def test_anyone_may_browse_the_catalogue_but_withdrawn_products_are_not_shown(
    client: Client, products: dict[str, Product]
) -> None:
    products["plan"].active = False
    products["plan"].save()
    page = client.get("/shop/").content.decode()
    assert "Label printer LP-200" in page and "\u00a3249.00" in page
    assert "Support plan" not in page


@pytest.mark.django_db
def test_reviewing_shows_the_totals_with_vat_and_stores_nothing(
    client: Client, make_customer: Callable[..., Customer], products: dict[str, Product]
) -> None:
    """The confirmation step states the VAT rate and amounts before anything is stored."""
    client.force_login(make_customer().user)
    response = client.post(
        ORDER, {"product": products["printer"].pk, "quantity": "2", "step": "review"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "VAT at 20%" in page
    assert "\u00a3498.00" in page and "\u00a399.60" in page and "\u00a3597.60" in page
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_a_customer_orders_and_sees_it_in_their_list(
    client: Client, make_customer: Callable[..., Customer], products: dict[str, Product]
) -> None:
    """Confirming stores the order with its price snapshot and totals, then asks for payment."""
    customer = make_customer()
    client.force_login(customer.user)
    response = client.post(
        ORDER, {"product": products["printer"].pk, "quantity": "2", "step": "confirm"}
    )
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/shop/orders/{order.pk}/pay/"
    assert order.customer == customer and order.subject_id == customer.subject_id
    assert order.status == Order.Status.AWAITING_PAYMENT
    assert (order.subtotal_pence, order.vat_pence, order.total_pence) == (49_800, 9_960, 59_760)
    line = order.lines.get()
    assert (line.description, line.quantity, line.unit_price_pence) == (
        "Label printer LP-200",
        2,
        24_900,
    )
    listing = client.get("/shop/orders/").content.decode()
    assert order.reference in listing and "2 \u00d7 Label printer LP-200" in listing
    detail = client.get(f"/shop/orders/{order.pk}/").content.decode()
    assert "Awaiting payment" in detail and "Pay now" in detail


@pytest.mark.django_db
def test_placing_an_order_is_in_the_access_log(
    make_customer: Callable[..., Customer], place_order: Callable[..., Order]
) -> None:
    """R7: a financial record created, logged in the same transaction."""
    customer = make_customer()
    order = place_order(customer)
    event = AccessEvent.objects.get(subject=str(customer.subject_id))
    assert event.action == "create" and event.category_keys == ["order_details"]
    assert event.purpose == "provide_products" and order.reference in event.detail


@pytest.mark.django_db
def test_the_order_keeps_the_price_it_was_placed_at(
    make_customer: Callable[..., Customer],
    products: dict[str, Product],
    place_order: Callable[..., Order],
) -> None:
    order = place_order(make_customer(), quantity=1)
    products["printer"].price_pence = 30_000
    products["printer"].save()
    assert order.lines.get().unit_price_pence == 24_900
    assert Order.objects.get().total_pence == 24_900 + vat_for(24_900)


@pytest.mark.parametrize(
    ("subtotal", "vat"), [(1, 0), (2, 0), (3, 1), (7, 1), (8, 2), (12, 2), (13, 3), (49_800, 9_960)]
)
def test_vat_is_20_percent_rounded_half_up_to_the_penny(subtotal: int, vat: int) -> None:
    assert vat_for(subtotal) == vat


@pytest.mark.django_db
def test_another_customer_cannot_see_the_order(
    client: Client, make_customer: Callable[..., Customer], place_order: Callable[..., Order]
) -> None:
    """R38: the list shows only one's own orders; another's id is a 404, for every page."""
    order = place_order(make_customer())
    client.force_login(make_customer().user)
    assert order.reference not in client.get("/shop/orders/").content.decode()
    assert client.get(f"/shop/orders/{order.pk}/").status_code == 404
    assert client.get(f"/shop/orders/{order.pk}/pay/").status_code == 404


@pytest.mark.django_db
def test_staff_and_anonymous_visitors_cannot_use_the_customer_order_pages(
    client: Client,
    make_customer: Callable[..., Customer],
    place_order: Callable[..., Order],
) -> None:
    order = place_order(make_customer())
    assert client.get("/shop/orders/")["Location"].startswith("/accounts/login/")
    staff = User.objects.create_user(email="tom@c-mes.example", is_staff=True)
    client.force_login(staff)
    assert client.get("/shop/orders/").status_code == 403
    assert client.get(f"/shop/orders/{order.pk}/").status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"quantity": "1"}, "product", "Choose a product or service to order."),
        ({"product": "999999", "quantity": "1"}, "product", "Choose a product or service from"),
        ({"product": "printer", "quantity": "0"}, "quantity", "Order between 1 and 99."),
        ({"product": "printer", "quantity": "100"}, "quantity", "Order between 1 and 99."),
        ({"product": "printer", "quantity": "two"}, "quantity", "Enter the quantity as a whole"),
        ({"product": "printer", "quantity": ""}, "quantity", "Enter how many you would like."),
        ({"product": "printer", "quantity": "1\x00"}, "quantity", "Enter the quantity as a whole"),
        ({"product": "withdrawn", "quantity": "1"}, "product", "Choose a product or service from"),
    ],
)
def test_bad_order_input_names_the_field_and_stores_nothing(
    client: Client,
    make_customer: Callable[..., Customer],
    products: dict[str, Product],
    data: dict[str, str],
    field: str,
    message: str,
) -> None:
    """R40: the form comes back with the message on the field; no order, no log event."""
    products["plan"].active = False
    products["plan"].save()
    ids = {"printer": str(products["printer"].pk), "withdrawn": str(products["plan"].pk)}
    data = {**data, "step": "confirm"}
    if "product" in data:
        data["product"] = ids.get(data["product"], data["product"])
    client.force_login(make_customer().user)
    response = client.post(ORDER, data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    assert not Order.objects.exists() and not OrderLine.objects.exists()
    assert not AccessEvent.objects.exists()


@pytest.mark.django_db
def test_the_service_refuses_a_withdrawn_product_and_a_bad_quantity(
    make_customer: Callable[..., Customer], products: dict[str, Product]
) -> None:
    """The same rules hold for any caller of order_place, not only the form (R40)."""
    from django.core.exceptions import ValidationError

    customer = make_customer()
    actor = Actor.customer(id=customer.user_id)
    products["plan"].active = False
    with pytest.raises(ValidationError) as withdrawn:
        order_place(customer=customer, lines=[(products["plan"], 1)], actor=actor)
    assert "no longer sold" in withdrawn.value.message_dict["product"][0]
    with pytest.raises(ValidationError) as quantity:
        order_place(customer=customer, lines=[(products["printer"], 0)], actor=actor)
    assert "between 1 and 99" in quantity.value.message_dict["quantity"][0]
    with pytest.raises(ValidationError) as empty:
        order_place(customer=customer, lines=[], actor=actor)
    assert "product" in empty.value.message_dict
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_the_order_list_costs_the_same_queries_for_many_orders(
    client: Client,
    make_customer: Callable[..., Customer],
    paid_order: Callable[..., Order],
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    """No N+1: lines are prefetched and invoices joined."""
    customer = make_customer()
    client.force_login(customer.user)
    paid_order(customer)
    with django_assert_max_num_queries(12) as one:  # type: ignore[attr-defined]
        client.get("/shop/orders/")
    for _ in range(4):
        paid_order(customer)
    with django_assert_max_num_queries(len(one.captured_queries)):  # type: ignore[attr-defined]
        page = client.get("/shop/orders/").content.decode()
    assert page.count("INV-") == 5


@pytest.mark.django_db
def test_changing_the_order_goes_back_to_the_choice_as_it_was(
    client: Client, make_customer: Callable[..., Customer], products: dict[str, Product]
) -> None:
    client.force_login(make_customer().user)
    response = client.post(ORDER, {"product": products["plan"].pk, "quantity": "3", "step": "edit"})
    assert response.context["quote"] is None
    form = response.context["form"]
    assert form["product"].value() == str(products["plan"].pk) and form["quantity"].value() == "3"
    assert not Order.objects.exists()
