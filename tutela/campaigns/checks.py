"""System checks: refuse to start when campaigns would mail through an undeclared processor."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from tutela.consent.api import NEWSLETTER_PURPOSE
from tutela.policy.api import PolicyFileError, current_policy


def check_email_processor(**kwargs: Any) -> list[checks.CheckMessage]:
    """campaigns.E001: the processor that sends campaigns is in the policy's processors
    register for the newsletter purpose and the email category ("we will never ... pass it
    on to third parties for marketing purposes", R26)."""
    key = settings.TUTELA_CAMPAIGN_EMAIL_PROCESSOR
    try:
        policy = current_policy()
    except PolicyFileError:
        return []  # the policy app's own check reports the file
    processor = next((p for p in policy.processors if p.key == key), None)
    problem = ""
    if processor is None:
        problem = "is not in the policy file's processors register"
    elif NEWSLETTER_PURPOSE not in processor.purposes:
        problem = f"is not declared for the purpose {NEWSLETTER_PURPOSE!r}"
    elif "contact_email" not in processor.categories:
        problem = "is not declared to receive the category 'contact_email'"
    if not problem:
        return []
    return [
        checks.Error(
            f"TUTELA_CAMPAIGN_EMAIL_PROCESSOR={key!r} {problem}: campaigns hand every "
            "recipient's address to the mail server it names.",
            hint="Set it to the processor whose mail server EMAIL_HOST is, and declare that "
            "processor for marketing_email and contact_email in the policy file.",
            id="campaigns.E001",
        )
    ]


def register() -> None:
    """Called from CampaignsConfig.ready()."""
    checks.register(check_email_processor, checks.Tags.security)
