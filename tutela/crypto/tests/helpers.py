"""Helpers for the crypto tests: raw column access past the ORM, as an attacker or a dump."""

from __future__ import annotations

from typing import Any

from django.db import connection, connections

from tutela.crypto.tests.models import Person


def raw_column(person: Person, column: str) -> bytes | None:
    """The bytes stored in one column of a person's row (values_list does not decrypt)."""
    sealed = Person.objects.filter(pk=person.pk).values_list(column, flat=True).get()
    return None if sealed is None else bytes(sealed.blob)


def write_column(person: Person, column: str, value: bytes) -> None:
    """Overwrite one column with raw bytes, as someone with database access could."""
    pk = Person._meta.pk.get_db_prep_value(person.pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE crypto_tests_person SET {column} = %s WHERE id = %s",  # noqa: S608
            [value, pk],
        )


def fresh(person: Person) -> Person:
    """The row as another request would load it."""
    return Person.objects.get(pk=person.pk)


def dump_table(table: str, using: str = "default") -> tuple[list[str], list[tuple[Any, ...]]]:
    """A logical backup of one table: column names and every row, as pg_dump would copy them."""
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
        columns = [col[0] for col in cursor.description]
        rows = [tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in cursor]
    return columns, rows


def restore_table(
    table: str, columns: list[str], rows: list[tuple[Any, ...]], using: str = "default"
) -> None:
    """Put a logical backup back into an emptied table."""
    names = ", ".join(columns)
    marks = ", ".join(["%s"] * len(columns))
    with connections[using].cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608
