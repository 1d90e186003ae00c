"""`manage.py tutela_check`: the policy file validates and the code stores nothing it does not
declare (every personal field catalogued, every category, purpose, retention rule and processor
known to the policy). CI runs it; it exits non-zero on any problem."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tutela.policy.catalog import catalog_entries
from tutela.policy.drift import drift_problems
from tutela.policy.loader import PolicyFileError, load_policy


class Command(BaseCommand):
    help = "Check the code against the policy file: catalog, categories, purposes, processors."
    # The same checks run as system checks; here they are reported in full, not as a refusal.
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            policy = load_policy(settings.TUTELA_POLICY_FILE)
        except PolicyFileError as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError("the policy file is not valid; see policy_validate") from None
        problems = drift_problems(policy)
        for drift in problems:
            self.stderr.write(str(drift))
        if problems:
            raise CommandError(f"{len(problems)} problem(s): the code and the policy disagree")
        entries = catalog_entries()
        fields = sum(len(entry.fields) for entry in entries)
        self.stdout.write(
            self.style.SUCCESS("The code matches the policy: ")
            + f"{len(entries)} models with {fields} personal fields catalogued."
        )
