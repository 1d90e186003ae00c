"""The consent ledger: append-only, and the current state is a projection of it (R20, R21)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from tutela.audit.api import AccessEvent, Actor, AppendOnlyError
from tutela.consent.models import Channel, ConsentRecord
from tutela.consent.notices import NEWSLETTER_CONSENT, NEWSLETTER_PURPOSE, NEWSLETTER_WITHDRAWAL
from tutela.consent.selectors import (
    consent_state,
    consent_states,
    consented_subjects,
)
from tutela.consent.services import consent_record, consent_records_expire

PERSON = Actor.customer(id=None)
GIVEN = ConsentRecord.EventType.GIVEN
WITHDRAWN = ConsentRecord.EventType.WITHDRAWN


def record(subject: uuid.UUID, kind: str, **overrides: object) -> ConsentRecord:
    values: dict[str, object] = {
        "subject": subject,
        "purpose": NEWSLETTER_PURPOSE,
        "event_type": kind,
        "channel": Channel.WEB_FORM,
        "notice_version": "1.0",
        "notice_sha256": (NEWSLETTER_CONSENT if kind == GIVEN else NEWSLETTER_WITHDRAWAL).sha256,
        "evidence": "Test event.",
        "actor": PERSON,
    }
    values.update(overrides)
    return consent_record(**values)  # type: ignore[arg-type]


@pytest.mark.django_db
def test_the_ledger_refuses_update_and_delete_through_the_orm() -> None:
    """Append-only: a change of mind is a new record, never an edit (R20)."""
    row = record(uuid.uuid4(), GIVEN)
    row.evidence = "Edited."
    with pytest.raises(AppendOnlyError, match="save\\(\\) of an existing row"):
        row.save()
    with pytest.raises(AppendOnlyError, match="delete"):
        row.delete()
    with pytest.raises(AppendOnlyError, match="update"):
        ConsentRecord.objects.filter(pk=row.pk).update(event_type=WITHDRAWN)
    with pytest.raises(AppendOnlyError, match="delete"):
        ConsentRecord.objects.all().delete()
    with pytest.raises(AppendOnlyError, match="bulk_update"):
        ConsentRecord.objects.bulk_update([row], ["evidence"])
    assert ConsentRecord.objects.get().evidence == "Test event."


@pytest.mark.django_db
def test_the_database_refuses_an_update_made_in_raw_sql() -> None:
    """The trigger of migration 0001 stops edits that bypass the ORM."""
    row = record(uuid.uuid4(), GIVEN)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE consent_consentrecord SET event_type = %s WHERE id = %s",
            [WITHDRAWN, row.pk],
        )
    assert ConsentRecord.objects.get().event_type == GIVEN


@pytest.mark.django_db
def test_the_state_follows_give_withdraw_give() -> None:
    """The projection is the latest record per subject and purpose, never stored."""
    subject, other = uuid.uuid4(), uuid.uuid4()
    assert consent_state(subject, NEWSLETTER_PURPOSE).record is None
    assert not consent_state(subject, NEWSLETTER_PURPOSE).given
    first = record(subject, GIVEN)
    assert consent_state(subject, NEWSLETTER_PURPOSE).given
    record(other, GIVEN)
    withdrawal = record(subject, WITHDRAWN, channel=Channel.EMAIL_LINK)
    state = consent_state(subject, NEWSLETTER_PURPOSE)
    assert not state.given and state.record == withdrawal and state.since == withdrawal.event_time
    again = record(subject, GIVEN, channel=Channel.ACCOUNT_PAGE)
    assert consent_state(subject, NEWSLETTER_PURPOSE).record == again
    assert ConsentRecord.objects.filter(pii_principal_id=subject).count() == 3
    assert first.record_id != again.record_id
    states = consent_states([subject, other, uuid.uuid4()], NEWSLETTER_PURPOSE)
    assert [s.given for s in states.values()] == [True, True, False]
    assert set(consented_subjects(NEWSLETTER_PURPOSE)) == {subject, other}
    record(other, WITHDRAWN)
    assert list(consented_subjects(NEWSLETTER_PURPOSE)) == [subject]


@pytest.mark.django_db
def test_the_bulk_projection_takes_one_query(django_assert_num_queries: Callable[..., Any]) -> None:
    subjects = [uuid.uuid4() for _ in range(5)]
    for subject in subjects:
        record(subject, GIVEN)
        record(subject, WITHDRAWN)
    with django_assert_num_queries(1):
        states = consent_states(subjects, NEWSLETTER_PURPOSE)
    assert not any(state.given for state in states.values())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "overrides", "message"),
    [
        ("purpose", {"purpose": "no_such_purpose"}, "is not a purpose of the privacy policy"),
        ("purpose", {"purpose": "fraud_prevention"}, "does not rest on consent"),
        ("event_type", {"event_type": "maybe"}, "neither consent_given nor consent_withdrawn"),
        ("collection_method", {"channel": "pigeon"}, "is not one of"),
        ("notice_sha256", {"notice_sha256": "abc"}, "64 hex digits"),
        ("evidence", {"evidence": ""}, "Say what proves it"),
        ("evidence", {"evidence": "x" * 301}, "at most 300 characters"),
        ("evidence", {"evidence": "ok\x00"}, "Remove the control characters"),
    ],
)
def test_a_bad_record_names_the_field_and_stores_nothing(
    field: str, overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        record(uuid.uuid4(), GIVEN, **overrides)
    assert message in " ".join(caught.value.message_dict[field])
    assert not ConsentRecord.objects.exists()


@pytest.mark.django_db
def test_a_record_made_by_staff_is_access_logged_and_keeps_their_label() -> None:
    """R7: staff writes are logged; the label survives the staff account (no foreign key)."""
    subject = uuid.uuid4()
    staff = Actor.staff(id=7, first_name="Sam", role="support")
    row = record(subject, WITHDRAWN, actor=staff, channel=Channel.STAFF_PHONE)
    assert row.event_by == "Sam (support)"
    event = AccessEvent.objects.get()
    assert str(event.subject) == str(subject) and event.action == "create"
    assert event.category_keys == ["privacy_choices"] and event.purpose == NEWSLETTER_PURPOSE
    record(subject, GIVEN)  # the person themselves: not logged, as elsewhere
    assert AccessEvent.objects.count() == 1


@pytest.mark.django_db
def test_expiry_deletes_only_consents_withdrawn_before_the_cut_off() -> None:
    """Retention `consent_records`: the one deletion the ledger allows, logged per subject."""
    old, renewed, current = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for subject in (old, renewed, current):
        record(subject, GIVEN)
    record(old, WITHDRAWN)
    record(renewed, WITHDRAWN)
    record(renewed, GIVEN)
    cut_off = timezone.now() + timedelta(seconds=1)
    deleted = consent_records_expire(before=cut_off, actor=Actor.system("retention"))
    assert deleted == 2
    assert not ConsentRecord.objects.filter(pii_principal_id=old).exists()
    assert ConsentRecord.objects.filter(pii_principal_id=renewed).count() == 3
    assert consent_state(current, NEWSLETTER_PURPOSE).given
    (event,) = AccessEvent.objects.filter(action="delete")
    assert str(event.subject) == str(old)
    assert consent_records_expire(before=cut_off, actor=Actor.system("retention")) == 0
