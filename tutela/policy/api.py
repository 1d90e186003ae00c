"""What other apps may import from tutela.policy: the running policy and lookups into it.

`current_policy()` loads `settings.TUTELA_POLICY_FILE` once per process (the system check has
already refused to start with a bad file); `override_settings(TUTELA_POLICY_FILE=...)` in tests
clears the cache through the `setting_changed` signal.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from tutela.policy.blockers import (
    ProcessingBlocker,
    processing_blocked,
    processing_blocker_register,
    processing_blocker_unregister,
    processing_blockers,
)
from tutela.policy.catalog import (
    Entry,
    Erasure,
    catalog_entries,
    catalog_entry,
    catalog_entry_for,
    catalog_exempt,
    catalog_register,
    rows_for_subject,
)
from tutela.policy.loader import PolicyFileError, PolicyProblem, load_policy, parse_policy
from tutela.policy.schema import (
    Category,
    CookieGroup,
    DisclosureGround,
    LawfulBasis,
    Policy,
    Processor,
    Purpose,
    RetentionRule,
    Right,
    RightKey,
)
from tutela.policy.sections import (
    ExportSection,
    export_section_of,
    export_section_register,
    export_sections,
)

__all__ = [
    "Category",
    "CookieGroup",
    "DisclosureGround",
    "Entry",
    "Erasure",
    "ExportSection",
    "LawfulBasis",
    "Policy",
    "PolicyFileError",
    "PolicyProblem",
    "ProcessingBlocker",
    "Processor",
    "Purpose",
    "RetentionRule",
    "Right",
    "RightKey",
    "catalog_entries",
    "catalog_entry",
    "catalog_entry_for",
    "catalog_exempt",
    "catalog_register",
    "category",
    "current_policy",
    "deadline_days",
    "export_section_of",
    "export_section_register",
    "export_sections",
    "load_policy",
    "parse_policy",
    "processing_blocked",
    "processing_blocker_register",
    "processing_blocker_unregister",
    "processing_blockers",
    "processor_categories",
    "purpose",
    "reset_policy_cache",
    "retention_rules_for",
    "rows_for_subject",
]

_lock = threading.Lock()
_cache: dict[Path, Policy] = {}


def current_policy() -> Policy:
    """The policy this deployment runs, loaded once; PolicyFileError if the file is bad."""
    path = Path(settings.TUTELA_POLICY_FILE)
    policy = _cache.get(path)
    if policy is None:
        with _lock:
            policy = _cache.get(path) or load_policy(path)
            _cache[path] = policy
    return policy


def reset_policy_cache() -> None:
    """Forget loaded policies, so the next call reads the file again."""
    with _lock:
        _cache.clear()


@receiver(setting_changed)
def _policy_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "TUTELA_POLICY_FILE":
        reset_policy_cache()


def category(key: str) -> Category:
    """A declared data category; LookupError if the policy does not declare it."""
    return current_policy().category(key)


def purpose(key: str) -> Purpose:
    """A declared purpose; LookupError if undeclared."""
    return current_policy().purpose(key)


def processor_categories(processor_key: str) -> tuple[Category, ...]:
    """The categories a processor receives."""
    policy = current_policy()
    return policy.categories_of(policy.processor(processor_key).categories)


def retention_rules_for(category_key: str) -> tuple[RetentionRule, ...]:
    """The retention rules that cover a category (at least one, the schema guarantees)."""
    policy = current_policy()
    policy.category(category_key)  # LookupError for an undeclared category, not an empty tuple
    return policy.retention_for(category_key)


def deadline_days(right: str) -> int | None:
    """Days to answer a request to use a right (access: 28); None where we set no deadline."""
    return current_policy().right(right).deadline_days
