"""Django's flush, able to empty the append-only access-log tables too.

flush empties every table (development resets, and Django's test runner between transactional
tests); the access log's triggers refuse that otherwise. See tutela/audit/triggers.py.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands.flush import Command as DjangoFlush
from django.db import connections

from tutela.audit.triggers import audit_maintenance


class Command(DjangoFlush):
    help = DjangoFlush.help + " This includes the append-only access log and its checkpoints."

    def handle(self, **options: Any) -> None:
        with audit_maintenance(connections[options["database"]]):
            super().handle(**options)
