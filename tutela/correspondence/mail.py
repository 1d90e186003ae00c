"""Reading email messages (.eml files, mbox mailboxes) into what EmailRecord stores.

Python's own email package (`email.policy.default`) parses; this module decides what is usable.
A message we cannot read faithfully (no sender, undecodable headers, no text body, too large) is
refused with a reason that says why and names no one: reasons are printed and logged, so they
never quote an address, a subject or a body.
"""

from __future__ import annotations

import hashlib
import html
import mailbox
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.html import strip_tags

from tutela.correspondence.models import ADDRESSES_MAX, BODY_MAX, SUBJECT_LINE_MAX

# One message, as bytes; a larger one is refused unread (attachments are not kept anyway).
MESSAGE_MAX_BYTES = 10 * 1024 * 1024
# One mbox file; each message in it is still held to MESSAGE_MAX_BYTES.
MBOX_MAX_BYTES = 1024 * 1024 * 1024
# A message without a Message-ID is known by a digest of its bytes, marked so it cannot collide
# with a real Message-ID (which is enclosed in < >).
DIGEST_PREFIX = "sha256:"

_PARSER = BytesParser(policy=default_policy)
# Control characters other than tab and newline, after line endings became \n.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SURROGATES = re.compile(r"[\udc80-\udcff]")
_BLANK_RUNS = re.compile(r"\n{3,}")


class Refused(Exception):
    """A message that cannot be imported; `reason` says why, without quoting it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ParsedEmail:
    """What an imported message gives an EmailRecord, checked and decoded."""

    from_address: str
    to_addresses: tuple[str, ...]
    subject_line: str
    body: str
    sent_at: datetime
    message_id: str


@dataclass(frozen=True)
class RawMessage:
    """One message to import: where it came from (a path, or path#n in an mbox), and its bytes
    or the reason it could not be read."""

    label: str
    data: bytes | None = None
    unreadable: str = ""


def _header_text(message: EmailMessage, name: str) -> str | None:
    """A header's decoded text; Refused when it holds bytes no character set explains."""
    header = message[name]
    if header is None:
        return None
    defects = getattr(header, "defects", ())
    if any(type(d).__name__ in ("UndecodableBytesDefect", "CharsetError") for d in defects):
        raise Refused(f"the {name} header holds bytes that cannot be decoded")
    text = str(header)
    if _SURROGATES.search(text) or "\ufffd" in text:
        raise Refused(f"the {name} header holds bytes that cannot be decoded")
    return text


def _addresses(message: EmailMessage, name: str) -> tuple[str, ...]:
    """The addresses of an address header, each checked; Refused for any that is not valid."""
    if _header_text(message, name) is None:
        return ()
    header = message[name]
    if any(type(d).__name__ == "InvalidHeaderDefect" for d in getattr(header, "defects", ())):
        raise Refused(f"the {name} header is not a valid list of addresses")
    found: list[str] = []
    for address in getattr(header, "addresses", ()):
        spec = address.addr_spec if isinstance(address, Address) else ""
        try:
            validate_email(spec)
        except ValidationError:
            raise Refused(f"the {name} header holds an address that is not valid") from None
        found.append(spec.lower())
    return tuple(found)


def _sent_at(message: EmailMessage) -> datetime:
    if _header_text(message, "Date") is None:
        raise Refused("there is no Date header")
    when = getattr(message["Date"], "datetime", None)
    if not isinstance(when, datetime):
        raise Refused("the Date header is not a date")
    # "-0000" (time zone unknown) parses as naive; RFC 5322 says it is UTC.
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _clean_text(text: str) -> str:
    """Line endings as \\n, control characters dropped, trailing space and long gaps trimmed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANK_RUNS.sub("\n\n", text).strip()


def _body(message: EmailMessage) -> str:
    """The plain-text body, or the HTML body as text; attachments are left behind on purpose:
    documents belong in an application, and keeping only what we need is the rule (Art. 5(1)(c))."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        raise Refused("there is no text body (only attachments, or nothing)")
    try:
        content = part.get_content()
    except LookupError:
        raise Refused("the body uses a character set Python does not know") from None
    if not isinstance(content, str):
        raise Refused("the body is not text")
    if part.get_content_subtype() == "html":
        content = html.unescape(strip_tags(content))
    if _SURROGATES.search(content):
        raise Refused("the body holds bytes that cannot be decoded")
    content = _clean_text(content)
    if not content:
        raise Refused("the body is empty")
    if len(content) > BODY_MAX:
        raise Refused(f"the body is {len(content)} characters long; at most {BODY_MAX} are kept")
    return content


def parse_message(data: bytes) -> ParsedEmail:
    """Parse one message's bytes; Refused, with the reason, when it is not usable."""
    if len(data) > MESSAGE_MAX_BYTES:
        raise Refused(f"the message is {len(data)} bytes; the limit is {MESSAGE_MAX_BYTES}")
    if not data.strip():
        raise Refused("the message is empty")
    try:
        return _parse(data)
    except Refused:
        raise
    except Exception as exc:  # the email package on hostile input: refuse, never crash
        raise Refused(f"the message cannot be parsed ({type(exc).__name__})") from None


def _parse(data: bytes) -> ParsedEmail:
    message = _PARSER.parsebytes(data)
    if not isinstance(message, EmailMessage) or not message.keys():
        raise Refused("this is not an email message: no headers found")
    if message.get_unixfrom() is not None:
        # Its other messages would be read as this one's body.
        raise Refused("this is an mbox mailbox, not one message: import it with --mbox")
    senders = _addresses(message, "From")
    if not senders:
        raise Refused("there is no From address")
    if len(senders) > 1:
        raise Refused("the From header names more than one sender")
    recipients = _addresses(message, "To") + _addresses(message, "Cc")
    if len(", ".join(recipients)) > ADDRESSES_MAX:
        raise Refused(f"the recipients take more than {ADDRESSES_MAX} characters")
    subject_line = _clean_text(_header_text(message, "Subject") or "").replace("\n", " ")
    if len(subject_line) > SUBJECT_LINE_MAX:
        raise Refused(f"the Subject is longer than {SUBJECT_LINE_MAX} characters")
    message_id = (_header_text(message, "Message-ID") or "").strip()
    if not message_id or len(message_id) > 900:
        message_id = DIGEST_PREFIX + hashlib.sha256(data).hexdigest()
    return ParsedEmail(
        from_address=senders[0],
        to_addresses=recipients,
        subject_line=subject_line,
        body=_body(message),
        sent_at=_sent_at(message),
        message_id=message_id,
    )


def read_eml(path: Path) -> RawMessage:
    """One .eml file, or why it cannot be read (missing, not a file, too large)."""
    label = str(path)
    try:
        if not path.is_file():
            return RawMessage(label, unreadable="no such file")
        size = path.stat().st_size
        if size > MESSAGE_MAX_BYTES:
            return RawMessage(
                label, unreadable=f"the file is {size} bytes; the limit is {MESSAGE_MAX_BYTES}"
            )
        return RawMessage(label, data=path.read_bytes())
    except OSError as exc:
        return RawMessage(label, unreadable=f"the file cannot be read ({exc.strerror})")


def read_mbox(path: Path) -> Iterator[RawMessage]:
    """Each message of an mbox file, in order (labelled path#1, path#2, ...), or why not."""
    label = str(path)
    try:
        if not path.is_file():
            yield RawMessage(label, unreadable="no such file")
            return
        size = path.stat().st_size
        if size > MBOX_MAX_BYTES:
            yield RawMessage(
                label, unreadable=f"the file is {size} bytes; the limit is {MBOX_MAX_BYTES}"
            )
            return
        box = mailbox.mbox(path, create=False)
        try:
            keys = list(box.keys())
            if not keys:
                yield RawMessage(label, unreadable="no messages found (is this an mbox file?)")
            for number, key in enumerate(keys, start=1):
                yield RawMessage(f"{label}#{number}", data=box.get_bytes(key))
        finally:
            box.close()
    except (OSError, mailbox.Error) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        yield RawMessage(label, unreadable=f"the mailbox cannot be read ({reason})")
