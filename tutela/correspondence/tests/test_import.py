"""`manage.py correspondence_import`: matches senders to customers, refuses malformed messages
without crashing, imports nothing twice, logs as a system job (R6, R7, R40)."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tutela.audit.api import AccessEvent
from tutela.correspondence import mail
from tutela.correspondence.models import Direction, EmailRecord
from tutela.correspondence.tests.factories import eml
from tutela.customers.models import Customer


def run(*args: str) -> tuple[str, str]:
    """Run the command; (stdout, stderr). A CommandError (some message refused) is re-raised
    with the output attached, so tests can look at both."""
    out, err = StringIO(), StringIO()
    try:
        call_command("correspondence_import", *args, stdout=out, stderr=err)
    except CommandError as exc:
        exc.stdout, exc.stderr = out.getvalue(), err.getvalue()  # type: ignore[attr-defined]
        raise
    return out.getvalue(), err.getvalue()


def write(folder: Path, name: str, data: bytes) -> str:
    path = folder / name
    path.write_bytes(data)
    return str(path)


def raw_column(column: str) -> list[bytes]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {EmailRecord._meta.db_table}")  # noqa: S608
        return [bytes(row[0]) for row in cursor.fetchall() if row[0] is not None]


@pytest.mark.django_db
def test_a_message_from_a_customer_is_filed_to_them_encrypted_and_scanned(
    tmp_path: Path, make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer(email="ada@example.com")
    out, _ = run(write(tmp_path, "1.eml", eml(sender="Ada <ADA@example.com>")))
    record = EmailRecord.objects.get()
    assert record.customer == customer and record.subject_id == customer.subject_id
    assert record.direction == Direction.INCOMING and record.source == EmailRecord.Source.IMPORT
    assert record.from_address == "ada@example.com"
    assert record.subject_line == "My order"
    assert "has not arrived" in record.body
    assert [f["entity_type"] for f in record.findings["body"]] == ["PHONE_NUMBER"]
    assert "1 filed to customers, 0 unmatched" in out
    assert all(b"has not arrived" not in value for value in raw_column("body"))
    assert all(b"ada@example.com" not in value for value in raw_column("from_address"))


@pytest.mark.django_db
def test_mail_from_a_stranger_is_kept_unmatched_under_a_subject_of_its_own(
    tmp_path: Path, make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer(email="ada@example.com")
    out, _ = run(write(tmp_path, "1.eml", eml(sender="stranger@example.net")))
    record = EmailRecord.objects.get()
    assert record.is_unmatched
    assert record.subject_id != customer.subject_id
    assert "0 filed to customers, 1 unmatched" in out


@pytest.mark.django_db
def test_mail_we_sent_is_outgoing_and_filed_by_its_recipient(
    tmp_path: Path, make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer(email="ada@example.com")
    run(write(tmp_path, "1.eml", eml(sender="feedback@c-mes.co.uk", to="ada@example.com")))
    record = EmailRecord.objects.get()
    assert record.direction == Direction.OUTGOING and record.customer == customer


@pytest.mark.django_db
def test_a_message_without_recipients_is_imported(tmp_path: Path) -> None:
    """Mail sent only to Bcc has no To header; it is still a letter."""
    data = eml().replace(b"To: feedback@c-mes.co.uk\n", b"")
    assert b"To:" not in data
    run(write(tmp_path, "bcc.eml", data))
    assert EmailRecord.objects.get().to_addresses == ""


@pytest.mark.django_db
def test_the_import_is_logged_in_one_batch_as_a_system_job(
    tmp_path: Path, make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer(email="ada@example.com")
    paths = [
        write(tmp_path, "1.eml", eml(message_id="<a@x>")),
        write(tmp_path, "2.eml", eml(message_id="<b@x>")),
        write(tmp_path, "3.eml", eml(sender="someone@example.net", message_id="<c@x>")),
    ]
    run(*paths)
    events = list(AccessEvent.objects.order_by("sequence"))
    assert len(events) == 3
    assert {event.actor_kind for event in events} == {"system"}
    assert {event.actor_label for event in events} == {"correspondence_import"}
    assert len({event.occurred_at for event in events}) == 1  # one batch, one timestamp
    assert [str(e.subject) for e in events].count(str(customer.subject_id)) == 2
    assert {event.action for event in events} == {"create"}
    assert events[0].category_keys == ["contact_email", "correspondence"]


@pytest.mark.django_db
def test_running_the_import_again_stores_nothing_twice(
    tmp_path: Path, make_customer: Callable[..., Customer]
) -> None:
    make_customer(email="ada@example.com")
    paths = [
        write(tmp_path, "1.eml", eml()),
        # No Message-ID: known by a digest of its bytes instead.
        write(tmp_path, "2.eml", eml(message_id=None, subject="Another")),
    ]
    run(*paths)
    out, _ = run(*paths)
    assert EmailRecord.objects.count() == 2
    assert "Imported 0 message(s)" in out and "2 already imported" in out
    assert AccessEvent.objects.count() == 2  # the second run read and wrote nothing personal


@pytest.mark.django_db
def test_an_mbox_is_imported_message_by_message(
    tmp_path: Path, make_customer: Callable[..., Customer]
) -> None:
    make_customer(email="ada@example.com")
    box = b"".join(
        b"From ada@example.com Mon Mar  2 09:30:00 2026\n"
        + eml(message_id=f"<m{n}@x>", subject=f"Letter {n}").replace(b"\r\n", b"\n")
        + b"\n"
        for n in range(3)
    )
    out, _ = run("--mbox", write(tmp_path, "inbox.mbox", box))
    assert sorted(EmailRecord.objects.values_list("direction", flat=True)) == ["in"] * 3
    assert {r.subject_line for r in EmailRecord.objects.all()} == {
        "Letter 0",
        "Letter 1",
        "Letter 2",
    }
    assert "Imported 3 message(s)" in out


MALFORMED = {
    "no-from.eml": (b"To: feedback@c-mes.co.uk\r\nSubject: hi\r\n\r\nbody\r\n", "no From"),
    "garbage.eml": (bytes(range(256)) * 8, "not an email message"),
    "empty.eml": (b"", "empty"),
    "undecodable.eml": (
        b"From: \xff\xfe <ada@example.com>\r\nDate: Mon, 2 Mar 2026 09:30:00 +0000\r\n\r\nbody",
        "cannot be decoded",
    ),
    "bad-charset.eml": (
        b"From: =?x-unknown?q?Ada?= <ada@example.com>\r\nDate: Mon, 2 Mar 2026 09:30:00 +0000"
        b"\r\n\r\nbody",
        "cannot be decoded",
    ),
    "bad-address.eml": (b"From: not an address\r\n\r\nbody", "not a valid"),
    "no-body.eml": (
        b"From: ada@example.com\r\nDate: Mon, 2 Mar 2026 09:30:00 +0000\r\n"
        b"Content-Type: image/png\r\n\r\niVBORw0KGgo=",
        "no text body",
    ),
    "blank-body.eml": (
        b"From: ada@example.com\r\nDate: Mon, 2 Mar 2026 09:30:00 +0000\r\n\r\n  \r\n",
        "body is empty",
    ),
    "unknown-body-charset.eml": (
        b"From: ada@example.com\r\nDate: Mon, 2 Mar 2026 09:30:00 +0000\r\n"
        b"Content-Type: text/plain; charset=x-nope\r\n\r\nhello",
        "character set",
    ),
    "no-date.eml": (b"From: ada@example.com\r\n\r\nhello", "no Date"),
    "two-senders.eml": (
        b"From: a@example.com, b@example.com\r\nDate: Mon, 2 Mar 2026 09:30:00 +0000\r\n\r\nhi",
        "more than one sender",
    ),
}


@pytest.mark.django_db
def test_malformed_messages_are_refused_with_a_reason_and_the_rest_imported(
    tmp_path: Path, make_customer: Callable[..., Customer]
) -> None:
    """Every bad message is named with why, nothing of it is stored, the good one is imported,
    and the command ends with a non-zero status instead of a traceback."""
    make_customer(email="ada@example.com")
    paths = [write(tmp_path, name, data) for name, (data, _) in MALFORMED.items()]
    paths.append(write(tmp_path, "good.eml", eml()))
    paths.append(str(tmp_path / "missing.eml"))
    paths.append(str(tmp_path))  # a folder, not a message
    with pytest.raises(CommandError) as refused:
        run(*paths)
    assert refused.value.returncode == 1
    assert f"{len(MALFORMED) + 2} refused" in str(refused.value)
    errors = refused.value.stderr  # type: ignore[attr-defined]
    for name, (_, reason) in MALFORMED.items():
        line = next(
            line for line in errors.splitlines() if line.startswith(f"refused {tmp_path}/{name}:")
        )
        assert reason in line, (name, line)
    assert f"refused {tmp_path}/missing.eml: no such file" in errors
    assert EmailRecord.objects.count() == 1
    assert AccessEvent.objects.count() == 1
    # Reasons never quote the message: no address, subject or body in the output.
    assert "ada@example.com" not in errors and "hello" not in errors


@pytest.mark.django_db
def test_a_file_beyond_the_size_limit_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mail, "MESSAGE_MAX_BYTES", 1000)
    path = write(tmp_path, "huge.eml", eml(body="x" * 2000))
    with pytest.raises(CommandError) as refused:
        run(path)
    assert "the limit is 1000" in refused.value.stderr  # type: ignore[attr-defined]
    assert not EmailRecord.objects.exists()


@pytest.mark.django_db
def test_an_mbox_that_is_not_one_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "noise.mbox", bytes(range(1, 256)) * 10)
    with pytest.raises(CommandError) as refused:
        run("--mbox", path, str(tmp_path / "absent.mbox"))
    errors = refused.value.stderr  # type: ignore[attr-defined]
    assert "no messages found" in errors and "absent.mbox: no such file" in errors
    assert not EmailRecord.objects.exists()


def test_an_mbox_given_as_one_message_is_refused_not_imported_as_one_long_letter() -> None:
    box = b"From ada@example.com Mon Mar  2 09:30:00 2026\n" + eml().replace(b"\r\n", b"\n")
    with pytest.raises(mail.Refused, match="import it with --mbox"):
        mail.parse_message(box)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=2000),
        st.builds(
            lambda head, tail: head + tail,
            st.sampled_from([b"From: ada@example.com\r\n", b"From: \r\nSubject: =?", b""]),
            st.binary(max_size=500),
        ),
    )
)
def test_parsing_any_bytes_either_succeeds_or_refuses_with_a_reason(data: bytes) -> None:
    """Property: hostile bytes never raise anything but Refused (the import never crashes)."""
    try:
        parsed = mail.parse_message(data)
    except mail.Refused as exc:
        assert exc.reason
    else:
        assert parsed.from_address and parsed.body
