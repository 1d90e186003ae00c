"""System checks: Tutela refuses to start with a policy file that does not validate, or while
the code stores personal data the policy does not declare (the drift check)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from tutela.policy.drift import drift_problems
from tutela.policy.loader import PolicyFileError, load_policy

# Enough to fix a file; the rest is one `manage.py policy_validate` away.
MAX_REPORTED = 20


@register("tutela")
def check_policy_file(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """One Error per problem of settings.TUTELA_POLICY_FILE (read afresh, not from the cache)."""
    try:
        load_policy(settings.TUTELA_POLICY_FILE)
    except PolicyFileError as exc:
        errors: list[CheckMessage] = [
            Error(
                str(problem),
                hint="Fix the policy file; `manage.py policy_validate` lists every problem.",
                id="policy.E001",
            )
            for problem in exc.problems[:MAX_REPORTED]
        ]
        if len(exc.problems) > MAX_REPORTED:
            errors.append(
                Error(f"... and {len(exc.problems) - MAX_REPORTED} more problems", id="policy.E001")
            )
        return errors
    return []


@register("tutela")
def check_catalog_drift(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """One Error per disagreement between models, the catalog and the policy (DESIGN.md, 4)."""
    try:
        policy = load_policy(settings.TUTELA_POLICY_FILE)
    except PolicyFileError:
        return []  # check_policy_file reports it; drift cannot be judged against a broken file
    return [
        Error(str(drift), hint="See `manage.py tutela_check`.", id="policy.E002")
        for drift in drift_problems(policy)
    ]
