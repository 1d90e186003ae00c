"""`manage.py tutela_demo`: load the demo company and print its sign-ins (bin/serve runs it)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tutela.accounts.api import User
from tutela.audit.api import Actor
from tutela.commerce.demo import demo_shop_load
from tutela.staff.demo import DEMO_CUSTOMERS, DEMO_STAFF, DemoSignIn, demo_company_load
from tutela.staff.roles import Role
from tutela.staff.selectors import staff_member_for_user
from tutela.support.demo import demo_application_load

_COLUMNS = ("door", "who", "email", "password")


def _table(sign_ins: list[DemoSignIn]) -> list[str]:
    """A plain-text table, columns separated by " | " (tests read it back)."""
    rows = [_COLUMNS] + [(s.door, s.who, s.email, s.password) for s in sign_ins]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    lines = [
        " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return lines


class Command(BaseCommand):
    help = (
        "Create the demo company (customers and one staff member per role) if missing, and print "
        "the demo sign-ins. Idempotent. Refused when TUTELA_DEBUG is off unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load even with TUTELA_DEBUG off. The passwords are public: never on real data.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "TUTELA_DEBUG is off: the demo accounts have published passwords, so they are "
                "not loaded into what looks like a real deployment. Use --force to load anyway.",
                returncode=2,
            )
        sign_ins = demo_company_load(actor="manage.py tutela_demo")
        created = sum(s.created for s in sign_ins)
        base = settings.TUTELA_BASE_URL.rstrip("/")
        self.stdout.write(
            f"Demo company: {created} account(s) created, {len(sign_ins) - created} already there."
        )
        shop = demo_shop_load(
            customer_email=DEMO_CUSTOMERS[0]["email"], actor=Actor.system("manage.py tutela_demo")
        )
        self.stdout.write(
            f"Demo shop: {shop.products_created} product(s) created"
            f"{', and a paid order with its invoice' if shop.order_created else ''}."
        )
        self._applications()
        self.stdout.write("Demo sign-ins (public passwords: demo data only):")
        self.stdout.write(f"  customers: {base}/  (sign in at {base}/accounts/login/)")
        self.stdout.write(f"  staff:     {base}/staff/login/")
        for line in _table(sign_ins):
            self.stdout.write(f"  {line}")

    def _applications(self) -> None:
        """One application with a reply from the demo support member, signed with their label."""
        support_email = next(email for role, _, email in DEMO_STAFF if role == Role.SUPPORT)
        user = User.objects.filter(email=support_email).first()
        support = staff_member_for_user(user) if user is not None else None
        if support is None:  # the demo account was removed or changed by hand; leave it alone
            return
        if demo_application_load(
            customer_email=DEMO_CUSTOMERS[0]["email"], staff=support.audit_actor
        ):
            self.stdout.write("Demo application: opened, with a reply from support.")
