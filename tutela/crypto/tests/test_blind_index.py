"""Blind indexes: equality look-ups (sign-in by email, uniqueness) on encrypted columns (R6)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from tutela.crypto.api import blind_index
from tutela.crypto.models import KeyCanary
from tutela.crypto.tests.helpers import fresh
from tutela.crypto.tests.models import Person

pytestmark = pytest.mark.django_db(databases="__all__")


@settings(max_examples=100, deadline=None)
@given(email=st.emails())
def test_an_email_indexes_alike_whatever_its_case_and_surrounding_spaces(email: str) -> None:
    """Normalised input: strip + NFKC + casefold, so "Ada@Example.COM " finds ada@example.com."""
    wanted = blind_index("crypto_tests.email", email)
    assert blind_index("crypto_tests.email", f"  {email.upper()}\t") == wanted
    assert len(wanted) == 64 and int(wanted, 16) >= 0


def test_each_column_label_gives_an_unrelated_index() -> None:
    """Domain separation: an email's index in one column says nothing about another column."""
    one = blind_index("accounts.email", "ada@example.com")
    two = blind_index("newsletter.email", "ada@example.com")
    assert one != two
    assert blind_index("accounts.email", "ada@example.com", normaliser="exact") == one
    assert blind_index("accounts.email", "Ada@example.com", normaliser="exact") != one


def test_the_index_depends_on_the_blind_index_key(key_file: Path, settings: Any) -> None:
    """The key lives in the key file, not the database: a database alone cannot be probed."""
    first = blind_index("accounts.email", "ada@example.com")
    settings.TUTELA_KEY_FILE = key_file.with_name("another-install.json")
    KeyCanary.objects.all().delete()  # another, fresh install
    assert blind_index("accounts.email", "ada@example.com") != first


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="normaliser='lower'"):
        blind_index("accounts.email", "x", normaliser="lower")
    with pytest.raises(ValueError, match="column_label must not be empty"):
        blind_index("", "x")


def test_the_blind_index_column_is_kept_up_to_date_and_finds_the_row() -> None:
    """Sign-in look-up: the typed address, however written, finds the one row."""
    ada = Person.objects.create(full_name="Ada", email="Ada@Example.com")
    Person.objects.create(full_name="Grace", email="grace@example.com")
    found = Person.objects.get(email_bidx=blind_index("crypto_tests.email", " ADA@example.COM"))
    assert found.pk == ada.pk
    ada.email = "ada@lovelace.example"
    ada.save()
    assert fresh(ada).email_bidx == blind_index("crypto_tests.email", "ada@lovelace.example")
    assert not Person.objects.filter(
        email_bidx=blind_index("crypto_tests.email", "ada@example.com")
    )


def test_uniqueness_holds_on_the_encrypted_email_through_its_index() -> None:
    Person.objects.create(full_name="Ada", email="ada@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        Person.objects.create(full_name="Impostor", email="ADA@example.com ")
    # Blank addresses have no index, so any number of rows may leave the email empty.
    Person.objects.create(full_name="No email 1", email="")
    Person.objects.create(full_name="No email 2", email="")
    assert Person.objects.filter(email_bidx__isnull=True).count() == 2


def test_equality_filters_on_the_encrypted_field_are_answered_by_its_blind_index() -> None:
    """`filter(email=...)` works as libraries expect (allauth, Django's auth backends), and the
    SQL compares only the keyed hash: the typed address never reaches the database."""
    ada = Person.objects.create(full_name="Ada", email="Ada@Example.com")
    grace = Person.objects.create(full_name="Grace", email="grace@example.com")
    assert Person.objects.get(email="ada@example.com").pk == ada.pk
    assert Person.objects.get(email__iexact=" ADA@EXAMPLE.COM").pk == ada.pk
    assert {p.pk for p in Person.objects.filter(email__in=["ada@example.com", "GRACE@x"])} == {
        ada.pk
    }
    assert not Person.objects.filter(email="nobody@example.com").exists()
    assert Person.objects.exclude(email="ada@example.com").get().pk == grace.pk
    sql = str(Person.objects.filter(email="ada@example.com").query)
    assert "email_bidx" in sql and "ada@example.com" not in sql.lower()


def test_other_lookups_on_the_encrypted_field_are_refused_with_the_reason() -> None:
    from django.core.exceptions import FieldError

    with pytest.raises(FieldError, match="only exact, iexact and in go through its blind index"):
        Person.objects.filter(email__startswith="ada").exists()
    with pytest.raises(FieldError, match="filter on its blind index"):
        Person.objects.filter(full_name="Ada").exists()
