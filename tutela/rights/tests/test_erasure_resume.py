"""Erasure interrupted at each step (TUTELA_ERASURE_FAIL_AT) leaves a consistent state, and
running it again completes it (R41). Real commits: each step's transaction commits on its own,
as in production, so these tests run with transaction=True."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import override_settings

from tutela.audit.api import AccessEvent
from tutela.commerce.api import Product, product_create
from tutela.consent.api import is_suppressed
from tutela.crypto.api import is_erased, subject_key_status
from tutela.customers.api import Customer
from tutela.policy.api import Erasure, catalog_entries
from tutela.rights.models import DataSubjectRequest, ErasureRun, LegalHold, ProcessorNotice
from tutela.rights.services import ErasureInterrupted, dsr_fulfil_erasure
from tutela.rights.services.erasure import STEPS
from tutela.rights.tests.erasure_data import DANA, erasure_request, everything
from tutela.rights.tests.test_erasure import allowed_after_erasure, left_readable, row_counts
from tutela.rights.tests.test_export_data import things

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def printer(transactional_db: None) -> Product:
    return product_create(
        name="Label printer LP-200", description="", kind="product", price_pence=24_900, actor=DANA
    )


@pytest.fixture
def people(make_customer: Callable[..., Customer], printer: Product) -> tuple[Customer, Customer]:
    shared = things()
    ada = make_customer(email="ada@example.com", full_name="Ada Lovelace")
    bob = make_customer(email="bob@example.com", full_name="Bob Babbage")
    everything(ada, shared, printer, tag="ADA")
    everything(bob, shared, printer, tag="BOB")
    return ada, bob


def shredded(subject: Any) -> bool:
    status = {key.key_class: key.shredded_at for key in subject_key_status(subject=subject)}
    return status.get("account") is not None


def erasure_events(subject: Any) -> int:
    return AccessEvent.objects.filter(
        subject=str(subject), action__in=["delete", "anonymise", "shred"]
    ).count()


def assert_fully_erased(ada: Customer, dsr: DataSubjectRequest) -> None:
    counts = row_counts(ada.subject_id)
    assert all(
        counts[entry.label] == 0 for entry in catalog_entries() if entry.erasure is Erasure.DELETE
    )
    assert left_readable(ada.subject_id) <= allowed_after_erasure()
    assert shredded(ada.subject_id) and is_suppressed("ada@example.com")
    run = ErasureRun.objects.get(request=dsr)
    assert run.status == ErasureRun.Status.DONE and run.last_error == ""
    assert list(run.steps.order_by("done_at", "id").values_list("step", flat=True)) == list(STEPS)
    assert is_erased(run.contact_emails)
    dsr.refresh_from_db()
    assert dsr.status == DataSubjectRequest.Status.DONE
    # Nothing done twice: one hold per rule, one task per processor.
    rules = list(
        LegalHold.objects.filter(subject_id=ada.subject_id).values_list("retention", flat=True)
    )
    assert len(rules) == len(set(rules)) >= 4
    processors = list(ProcessorNotice.objects.filter(run=run).values_list("processor", flat=True))
    assert len(processors) == len(set(processors)) >= 2


@pytest.mark.parametrize("step", STEPS)
def test_a_failure_at_each_step_leaves_a_consistent_state_and_a_re_run_completes(
    step: str, people: tuple[Customer, Customer]
) -> None:
    ada, bob = people
    dsr = erasure_request(ada)
    before, bob_before = row_counts(ada.subject_id), row_counts(bob.subject_id)
    with (
        override_settings(TUTELA_ERASURE_FAIL_AT=step),
        pytest.raises(ErasureInterrupted) as failure,
    ):
        dsr_fulfil_erasure(dsr=dsr, actor=DANA)
    assert failure.value.step == step and "run it again" in str(failure.value)
    run = ErasureRun.objects.filter(request=dsr).first()
    position = STEPS.index(step)
    if step == ErasureRun.Step.PLAN:
        assert run is None
    else:
        assert run is not None and run.status == ErasureRun.Status.RUNNING
        assert set(run.steps.values_list("step", flat=True)) == set(STEPS[:position])
        assert run.last_error.startswith(f"{step}: InjectedFailure")
    if position <= STEPS.index(ErasureRun.Step.ROWS):
        # Nothing half-erased: every row as it was (beside the run's own record), still
        # readable, nothing logged or shredded.
        counts = row_counts(ada.subject_id)
        assert counts.pop("rights.ErasureRun") == (0 if run is None else 1)
        assert counts == {k: v for k, v in before.items() if k != "rights.ErasureRun"}
        assert Customer.objects.get(pk=ada.pk).full_name == "Ada Lovelace"
        assert erasure_events(ada.subject_id) == 0 and not shredded(ada.subject_id)
        assert not LegalHold.objects.exists()
    else:
        # The rows step is complete, whole: every deleted source is empty.
        counts = row_counts(ada.subject_id)
        for entry in catalog_entries():
            if entry.erasure is Erasure.DELETE:
                assert counts[entry.label] == 0, entry.label
    assert row_counts(bob.subject_id) == bob_before
    # Run again without the failure: it resumes at the failed step and completes.
    report = dsr_fulfil_erasure(dsr=dsr, actor=DANA)
    expected = list(STEPS) if step == ErasureRun.Step.PLAN else list(STEPS[position:])
    assert report.steps == expected
    assert_fully_erased(ada, dsr)
    assert row_counts(bob.subject_id) == bob_before
    assert not shredded(bob.subject_id)
    confirmations = [m for m in mail.outbox if "has been erased" in m.subject]
    # At least once: a failure after sending and before recording sends it again.
    assert 1 <= len(confirmations) <= 2
    assert dsr_fulfil_erasure(dsr=dsr, actor=DANA).already_complete
