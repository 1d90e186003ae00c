"""System checks: start-up stops when erasure could not be carried out as configured."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.utils.module_loading import import_string

from tutela.policy.api import PolicyFileError
from tutela.rights.services.erasure_notify import webhook_problems
from tutela.rights.services.erasure_rows import erasure_problems


@register("tutela_rights")
def check_erasure(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """rights.E001-E003, W001: the catalog, the webhooks and the suppression list."""
    messages: list[CheckMessage] = [
        Error(problem, hint="Fix the entry in the app's privacy.py.", id="rights.E001")
        for problem in erasure_problems()
    ]
    try:
        problems = webhook_problems()
    except PolicyFileError:
        problems = []  # the policy's own check reports the file
    messages += [
        Error(problem, hint="See .env.example, TUTELA_PROCESSOR_WEBHOOKS.", id="rights.E002")
        for problem in problems
    ]
    path = getattr(settings, "TUTELA_ERASURE_SUPPRESS", "")
    if path:
        try:
            hook = import_string(path)
        except ImportError as exc:
            hook, reason = None, str(exc)
        else:
            reason = "it is not callable"
        if not callable(hook):
            messages.append(
                Error(
                    f"TUTELA_ERASURE_SUPPRESS={path!r} cannot be used: {reason}",
                    hint="Name the suppression list's function, or set it empty for none.",
                    id="rights.E003",
                )
            )
    if getattr(settings, "TUTELA_ERASURE_FAIL_AT", ""):
        messages.append(
            Warning(
                "TUTELA_ERASURE_FAIL_AT is set: every erasure stops at that step (tests only).",
                id="rights.W001",
            )
        )
    return messages
