"""The demo company: C-MES Solutions' customers and one staff member per role.

Loaded by `manage.py tutela_demo` (bin/serve runs it on every start). Every record goes through
the real services, so the demo data is exactly what registration and staff_create would store.
Names and addresses are invented; phone numbers come from Ofcom's ranges reserved for drama,
and email addresses use the reserved `.example` domain, so nothing here reaches a real person.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from tutela.accounts.api import User
from tutela.customers.api import customer_signup
from tutela.staff.roles import Role
from tutela.staff.services import staff_member_create

# Public on purpose: printed by bin/serve. Which is why tutela_demo refuses to run outside debug.
DEMO_PASSWORD = "tutela demo passphrase"  # noqa: S105 (published on purpose)

DEMO_CUSTOMERS: tuple[dict[str, Any], ...] = (
    {
        "email": "harriet.cole@colefinch.example",
        "full_name": "Harriet Cole",
        "company_name": "Cole & Finch Bakery Ltd",
        "field_of_activity": "Food production",
        "address_line1": "14 Kirkgate",
        "address_line2": "",
        "city": "Leeds",
        "postcode": "LS2 7DJ",
        "country": "GB",
        "phone": "+441134960123",
        "phone_alt": "",
    },
    {
        "email": "rajesh.patel@patelfreight.example",
        "full_name": "Rajesh Patel",
        "company_name": "Patel Freight Services Ltd",
        "field_of_activity": "Logistics",
        "address_line1": "Unit 4, Westinghouse Road",
        "address_line2": "Trafford Park",
        "city": "Manchester",
        "postcode": "M17 1AE",
        "country": "GB",
        "phone": "+441614960456",
        "phone_alt": "+441614960457",
    },
    {
        "email": "siobhan.murphy@harboursidedental.example",
        "full_name": "Siobhan Murphy",
        "company_name": "Harbourside Dental Practice",
        "field_of_activity": "Healthcare",
        "address_line1": "27 Welsh Back",
        "address_line2": "",
        "city": "Bristol",
        "postcode": "BS1 4RR",
        "country": "GB",
        "phone": "+441174960789",
        "phone_alt": "",
    },
    {
        "email": "alasdair.grant@grantreid.example",
        "full_name": "Alasdair Grant",
        "company_name": "Grant & Reid Architects LLP",
        "field_of_activity": "Architecture",
        "address_line1": "41 Thistle Street",
        "address_line2": "",
        "city": "Edinburgh",
        "postcode": "EH2 1DY",
        "country": "GB",
        "phone": "+441314960555",
        "phone_alt": "",
    },
    {
        "email": "megan.price@pricejoinery.example",
        "full_name": "Megan Price",
        "company_name": "Price Joinery",
        "field_of_activity": "Construction",
        "address_line1": "3 Bute Terrace",
        "address_line2": "",
        "city": "Cardiff",
        "postcode": "CF10 2FE",
        "country": "GB",
        "phone": "+442920180444",
        "phone_alt": "",
    },
)

DEMO_STAFF: tuple[tuple[Role, str, str], ...] = (
    (Role.SUPPORT, "Sam", "support@c-mes.example"),
    (Role.PRIVACY_OFFICER, "Dana", "privacy@c-mes.example"),
    (Role.MARKETING, "Priya", "marketing@c-mes.example"),
    (Role.FINANCE, "Tom", "finance@c-mes.example"),
)


@dataclass(frozen=True)
class DemoSignIn:
    """One demo account as printed for the person trying Tutela."""

    door: str  # "customer" or "staff"
    who: str
    email: str
    password: str
    created: bool


def demo_company_load(*, actor: str) -> list[DemoSignIn]:
    """Create whatever part of the demo company is missing; idempotent.

    Side effects: creates each missing demo customer (verified email, profile) and staff member
    (verified email, one role). An account that already exists is left exactly as it is, its
    password included, so running this on every start never undoes what someone did in the demo.
    """
    sign_ins: list[DemoSignIn] = []
    with transaction.atomic():
        for entry in DEMO_CUSTOMERS:
            details = {key: value for key, value in entry.items() if key != "email"}
            exists = User.objects.filter(email=entry["email"]).exists()
            if not exists:
                customer_signup(
                    email=entry["email"],
                    password=DEMO_PASSWORD,
                    details=details,
                    email_verified=True,
                )
            who = f"{details['full_name']}, {details['company_name']}"
            sign_ins.append(
                DemoSignIn("customer", who, entry["email"], DEMO_PASSWORD, created=not exists)
            )
        for role, name, email in DEMO_STAFF:
            exists = User.objects.filter(email=email).exists()
            if not exists:
                staff_member_create(
                    email=email, name=name, role=role.value, password=DEMO_PASSWORD, actor=actor
                )
            sign_ins.append(
                DemoSignIn("staff", f"{role.label}: {name}", email, DEMO_PASSWORD, not exists)
            )
    return sign_ins
