"""Bulk erasure for the retention sweep: each catalog entry walked once per batch, whatever the
number of subjects; the same result per person as one erasure's rows and shred steps."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tutela.audit.api import AccessEvent, Actor
from tutela.commerce.api import product_create
from tutela.crypto.api import subject_key_status
from tutela.customers.api import Customer
from tutela.policy.api import Erasure, catalog_entries
from tutela.rights.models import LegalHold
from tutela.rights.services import subjects_erase
from tutela.rights.tests.erasure_data import DANA, everything
from tutela.rights.tests.test_erasure import allowed_after_erasure, left_readable, row_counts
from tutela.rights.tests.test_export_data import things

pytestmark = pytest.mark.django_db
SWEEP = Actor.system("retention_sweep")


@pytest.fixture
def customers(make_customer: Callable[..., Customer]) -> list[Customer]:
    shared = things()
    printer = product_create(
        name="Label printer", description="", kind="product", price_pence=24_900, actor=DANA
    )
    made = []
    for n in range(5):
        customer = make_customer(email=f"c{n}@example.com", full_name=f"Customer {n}")
        everything(customer, shared, printer, tag=f"C{n}")
        made.append(customer)
    return made


def erased(customer: Customer) -> bool:
    counts = row_counts(customer.subject_id)
    deleted = all(
        counts[entry.label] == 0 for entry in catalog_entries() if entry.erasure is Erasure.DELETE
    )
    keys = {
        key.key_class: key.shredded_at for key in subject_key_status(subject=customer.subject_id)
    }
    return (
        deleted
        and left_readable(customer.subject_id) <= allowed_after_erasure()
        and keys["account"] is not None
        and keys["financial"] is None
    )


def test_queries_do_not_grow_with_the_number_of_subjects(customers: list[Customer]) -> None:
    first, *rest, untouched = customers
    # Warm: the first key check of a process writes the key canaries.
    subjects_erase(subject_ids=[], actor=SWEEP, detail="retention sweep")
    with CaptureQueriesContext(connection) as one:
        subjects_erase(subject_ids=[first.subject_id], actor=SWEEP, detail="retention sweep")
    with CaptureQueriesContext(connection) as three:
        report = subjects_erase(
            subject_ids=[c.subject_id for c in rest], actor=SWEEP, detail="retention sweep"
        )
    assert len(three.captured_queries) == len(one.captured_queries)
    assert report.subjects == 3 and report.deleted["support.Attachment"] == 3
    assert report.changed["customers.Customer"] == 3 and report.keys_shredded >= 6
    assert all(erased(c) for c in [first, *rest])
    assert not erased(untouched)
    assert Customer.objects.get(pk=untouched.pk).full_name == "Customer 4"


def test_batches_split_the_subjects_and_each_is_held_and_logged(customers: list[Customer]) -> None:
    chosen = customers[:3]
    report = subjects_erase(
        subject_ids=[c.subject_id for c in chosen], actor=SWEEP, detail="sweep", batch_size=2
    )
    assert report.subjects == 3 and all(erased(c) for c in chosen)
    for customer in chosen:
        rules = LegalHold.objects.filter(subject_id=customer.subject_id)
        assert sorted(rules.values_list("retention", flat=True)) == sorted(
            set(rules.values_list("retention", flat=True))
        )
        assert rules.filter(retention="financial_records", run=None).count() == 1
        actions = set(
            AccessEvent.objects.filter(
                subject=str(customer.subject_id), actor_label="retention_sweep"
            ).values_list("action", flat=True)
        )
        assert {"delete", "anonymise", "change"} <= actions
    # Again: nothing left to delete, keys already shredded, no second hold (at most extended,
    # as the access log the first run wrote is kept from later); no error.
    holds = LegalHold.objects.count()
    again = subjects_erase(subject_ids=[c.subject_id for c in chosen], actor=SWEEP, detail="x")
    assert again.deleted == {} and again.keys_shredded == 0
    assert LegalHold.objects.count() == holds


def test_a_bad_batch_size_is_refused(customers: list[Customer]) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        subjects_erase(subject_ids=[customers[0].subject_id], actor=SWEEP, detail="x", batch_size=0)
    assert not erased(customers[0])
