"""The export's queries do not grow with the number of rows: one per catalog entry and one for
the data keys, whether a person has one row per source or dozens (issue 5: no N+1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tutela.crypto import keystore
from tutela.customers.api import Customer
from tutela.policy.api import catalog_entries
from tutela.rights.export import export_collect
from tutela.rights.tests.test_export_data import fill, things

pytestmark = pytest.mark.django_db


def test_queries_do_not_grow_with_the_number_of_rows(
    make_customer: Callable[..., Customer], django_assert_num_queries: Any
) -> None:
    shared = things()
    one = make_customer(email="one@example.com")
    fill(one, shared, tag="ONE")
    many = make_customer(email="many@example.com")
    fill(many, shared, tag="MANY", reports=30, changes=30, sign_ins=30, staff_reads=30)
    export_collect(str(one.subject_id))  # the key store is verified once per process
    # Keys cached by the writes above would hide the key-store query; start cold, as a request.
    keystore.reset()
    keystore.ensure_ready()
    expected = len(catalog_entries()) + 1
    with django_assert_num_queries(expected):
        small = export_collect(str(one.subject_id))
        small.to_json()
        small.to_html()
    with django_assert_num_queries(expected):
        large = export_collect(str(many.subject_id))
        large.to_json()
        large.to_html()
    assert large.row_count >= small.row_count + 4 * 29
    counts = {source.label: source.count for source in large.sources}
    assert counts["feedback.ProblemReport"] == 30
    assert counts["customers.ProfileChange"] == 30
    assert counts["accounts.SecurityEvent"] == 30


def test_no_query_runs_while_rendering(make_customer: Callable[..., Customer]) -> None:
    """Everything is read in export_collect; the two forms are built from memory."""
    customer = make_customer()
    fill(customer, things(), tag="X", reports=5)
    export = export_collect(str(customer.subject_id))
    with CaptureQueriesContext(connection) as queries:
        export.to_json()
        export.to_html()
    assert len(queries) == 0
