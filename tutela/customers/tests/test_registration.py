"""Registration collects exactly the policy's fields, each validated (R1, R2, R3, R40)."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.utils.html import escape

from tutela.accounts.models import SecurityEvent, User
from tutela.conftest import customer_details
from tutela.customers.models import PROFILE_FIELDS, Customer

PASSWORD = "a long and unusual passphrase"


def signup_data(**overrides: Any) -> dict[str, Any]:
    data = {"email": "grace@example.com", "password1": PASSWORD, "password2": PASSWORD}
    data.update(customer_details(full_name="Grace Hopper", phone="020 8068 4673"))
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_registration_stores_the_policy_fields_and_logs_the_ip(client: Client) -> None:
    """R1: name, company, field of activity, address, email, phones; R2: sign-up IP logged."""
    response = client.post("/accounts/signup/", signup_data())
    assert response.status_code == 302
    user = User.objects.get(email="grace@example.com")
    customer = Customer.objects.get(user=user)
    assert customer.full_name == "Grace Hopper"
    assert customer.company_name == "Analytical Engines Ltd"
    assert customer.field_of_activity == "Engineering"
    assert (customer.address_line1, customer.city, customer.postcode) == (
        "12 Marylebone Road",
        "London",
        "NW1 5LR",
    )
    assert customer.phone == "+442080684673"  # normalised to E.164
    event = SecurityEvent.objects.get(user=user, kind=SecurityEvent.Kind.SIGN_UP)
    assert event.ip_address == "127.0.0.1"
    assert event.purpose == "security_fraud_prevention"


@pytest.mark.django_db
def test_registration_form_has_no_field_beyond_the_policy_list(client: Client) -> None:
    """R1 / Art. 5(1)(c): the form asks for nothing the policy does not declare."""
    form = client.get("/accounts/signup/").context["form"]
    assert set(form.fields) == {"email", "password1", "password2", *PROFILE_FIELDS}


@pytest.mark.django_db
def test_password_is_hashed_with_argon2id(client: Client) -> None:
    """R3: Argon2id with at least the OWASP parameters."""
    client.post("/accounts/signup/", signup_data())
    encoded = User.objects.get(email="grace@example.com").password
    algorithm, variant, _version, params, *_ = encoded.split("$")
    assert (algorithm, variant) == ("argon2", "argon2id")
    settings = dict(pair.split("=") for pair in params.split(","))
    assert int(settings["m"]) >= 19 * 1024 and int(settings["t"]) >= 2 and int(settings["p"]) >= 1


BAD_INPUT = [
    ("email", "not-an-email", "email"),
    ("email", "", "email"),
    ("full_name", "", "full_name"),
    ("full_name", "x" * 151, "full_name"),
    ("full_name", "Ada\x00Lovelace", "full_name"),
    ("full_name", "<script>alert(1)</script>", "full_name"),
    ("company_name", "<b>Evil</b> Ltd", "company_name"),
    ("field_of_activity", "y" * 101, "field_of_activity"),
    ("address_line1", "", "address_line1"),
    ("address_line1", "1 Road\x07", "address_line1"),
    ("city", "", "city"),
    ("postcode", "NOT A POSTCODE", "postcode"),
    ("country", "XX", "country"),
    ("phone", "", "phone"),
    ("phone", "12345", "phone"),
    ("phone", "call me maybe", "phone"),
    ("phone_alt", "0000", "phone_alt"),
    ("password1", "short", "password1"),
    ("password1", "password123", "password1"),
    ("password2", "a different passphrase", "password2"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "value", "error_field"), BAD_INPUT)
def test_bad_registration_input_names_the_field_and_stores_nothing(
    client: Client, field: str, value: str, error_field: str
) -> None:
    """R1, R40: a clear error on the offending field; no user, profile, email or log row."""
    response = client.post("/accounts/signup/", signup_data(**{field: value}))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert error_field in errors, errors
    assert all(message.strip() for message in errors[error_field])
    assert escape(errors[error_field][0]) in response.content.decode()  # shown to the person
    assert not User.objects.exists()
    assert not Customer.objects.exists()
    assert not EmailAddress.objects.exists()
    assert not SecurityEvent.objects.filter(kind=SecurityEvent.Kind.SIGN_UP).exists()
    assert not mail.outbox


@pytest.mark.django_db
def test_markup_in_a_name_gets_a_plain_text_message(client: Client) -> None:
    """R40: the message says why, not just 'invalid'."""
    response = client.post("/accounts/signup/", signup_data(full_name="<script>x</script>"))
    assert response.context["form"].errors["full_name"] == [
        "Use plain text: the characters < and > are not allowed."
    ]


@pytest.mark.django_db
def test_a_second_registration_with_the_same_email_creates_nothing(
    client: Client, make_customer: Any
) -> None:
    """Enumeration-safe: the address owner is emailed; no duplicate account is made."""
    make_customer(email="grace@example.com")
    client.post("/accounts/signup/", signup_data())
    assert User.objects.filter(email__iexact="grace@example.com").count() == 1
    assert Customer.objects.count() == 1
