"""The per-process data-key cache: bounded, time-limited, and never holds an uncommitted key."""

from __future__ import annotations

import time
import uuid
from contextlib import suppress
from typing import Any

import pytest
from django.db import transaction

from tutela.crypto import keystore
from tutela.crypto.keystore import _KeyCache
from tutela.crypto.models import DataKey
from tutela.crypto.tests.helpers import fresh
from tutela.crypto.tests.models import Person

pytestmark = pytest.mark.django_db(databases="__all__")


def test_entries_expire_after_their_time_and_the_oldest_is_evicted_when_full() -> None:
    cache = _KeyCache(size=2, seconds=0.05)
    cache.put(("a", "account"), 1)
    cache.put(("b", "account"), 2)
    cache.put(("c", "account"), 3)  # full: "a" goes
    assert cache.get(("a", "account")) is None
    assert cache.get(("b", "account")) == 2
    time.sleep(0.06)
    assert cache.get(("b", "account")) is None  # a shred elsewhere reaches us by now
    assert cache.get(("c", "account")) is None


def test_a_zero_lifetime_disables_the_cache() -> None:
    cache = _KeyCache(size=10, seconds=0)
    cache.put(("a", "account"), 1)
    assert cache.get(("a", "account")) is None


def test_a_key_created_in_a_transaction_that_rolls_back_is_never_cached(
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Otherwise later data would be encrypted under a key that no key store row holds."""
    subject = uuid.uuid4()
    alias = keystore.keystore_alias()
    with (
        django_capture_on_commit_callbacks(using=alias, execute=True),
        suppress(RuntimeError),
        transaction.atomic(using=alias),
    ):
        Person.objects.create(subject_id=subject, full_name="Ada")
        raise RuntimeError("the request failed after the key was made")
    assert not keystore.cached(str(subject), "account")
    assert not DataKey.objects.filter(subject=str(subject)).exists()
    with django_capture_on_commit_callbacks(using=alias, execute=True):
        person = Person.objects.create(subject_id=subject, full_name="Ada")
    assert keystore.cached(str(subject), "account")
    keystore.reset()
    assert fresh(person).full_name == "Ada"
