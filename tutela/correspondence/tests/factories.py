"""Small builders for correspondence tests: raw email messages, and audio file headers."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

# The smallest file heads each format is recognised by (recording_format reads 16 bytes).
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 64
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00" * 64
MP3_FRAME = b"\xff\xfb\x90\x64" + b"\x00" * 64
OGG = b"OggS\x00\x02" + b"\x00" * 64


def eml(
    *,
    sender: str = "ada@example.com",
    to: str = "feedback@c-mes.co.uk",
    subject: str = "My order",
    body: str = "Hello, my order has not arrived. Call me on 020 8068 4673.",
    message_id: str | None = "<order-1@example.com>",
    date: datetime | None = None,
) -> bytes:
    """A well-formed message as bytes, as a mail client would save it."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(date or datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    if message_id:
        message["Message-ID"] = message_id
    message.set_content(body)
    return bytes(message)
