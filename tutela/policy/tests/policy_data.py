"""Helpers for the policy tests: the shipped file, as bytes or as data to break on purpose."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings

from tutela.policy.api import PolicyFileError, PolicyProblem, parse_policy

SHIPPED = Path(settings.BASE_DIR) / "policy" / "c-mes.yaml"


@cache
def _shipped_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(SHIPPED.read_bytes())
    return data


def shipped_data() -> dict[str, Any]:
    """A fresh copy of the shipped policy as plain data, to change in a test."""
    return copy.deepcopy(_shipped_data())


def dump(data: Any) -> bytes:
    """Data back to YAML bytes, in the order given."""
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's is ten times faster
    return yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True).encode()


def problems_of(data: Any) -> tuple[PolicyProblem, ...]:
    """The problems parse_policy reports for this data; fails the test if it loads."""
    with pytest.raises(PolicyFileError) as caught:
        parse_policy(dump(data), "test.yaml")
    return caught.value.problems


def index_of(items: list[dict[str, Any]], key: str) -> int:
    """The position of the entry with this key in a section of the data."""
    return next(i for i, item in enumerate(items) if item.get("key") == key)
