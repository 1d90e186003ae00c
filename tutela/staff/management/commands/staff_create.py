"""`manage.py staff_create`: add a staff member with one role (docs/roles.md)."""

from __future__ import annotations

import getpass
import os
import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tutela.staff.roles import Role
from tutela.staff.services import staff_member_create

PASSWORD_ENV = "TUTELA_STAFF_PASSWORD"  # noqa: S105 (the variable's name)
# Errors name the command-line option the operator typed, not the service's argument.
_OPTION_OF = {"email": "--email", "name": "--name", "role": "--role", "password": "--password"}


class Command(BaseCommand):
    help = (
        "Create a staff member with a verified email address and exactly one role. The password "
        f"comes from --password, else ${PASSWORD_ENV}, else a prompt."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True, help="Sign-in email address.")
        parser.add_argument(
            "--name", required=True, help="First name; customers see role and first name."
        )
        parser.add_argument("--role", required=True, help=f"One of: {', '.join(Role.values)}.")
        parser.add_argument(
            "--password",
            help=f"Avoid on shared machines (visible in the process list); prefer ${PASSWORD_ENV}.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["password"] or os.environ.get(PASSWORD_ENV) or self._prompt()
        try:
            user = staff_member_create(
                email=options["email"],
                name=options["name"],
                role=options["role"],
                password=password,
                actor="manage.py staff_create",
            )
        except ValidationError as exc:
            found = exc.message_dict
            problems = "".join(
                f"\n  {option}: {' '.join(found[field])}"
                for field, option in _OPTION_OF.items()
                if field in found
            )
            raise CommandError(f"Staff member not created:{problems}", returncode=2) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {Role(options['role']).label.lower()} {user.display_name} <{user.email}>;"
                " they sign in at /staff/login/ and should enrol a passkey or authenticator app."
            )
        )

    def _prompt(self) -> str:
        """Ask twice on a terminal; never read a password from a pipe without being told to."""
        if not sys.stdin.isatty():
            raise CommandError(
                f"No password: pass --password, set ${PASSWORD_ENV}, or run on a terminal.",
                returncode=2,
            )
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ.", returncode=2)
        return first
