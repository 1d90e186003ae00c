"""What an application accepts as an attachment: a few file types, recognised by their content.

The type is read from the file's first bytes (its "magic number"), never taken from the name or
the browser's Content-Type, which the sender controls; the name must then agree with the content,
so a file called `invoice.pdf` that is really a PNG is refused rather than mislabelled for our
staff (R40). Limits come from settings (see `limits()`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
TEXT = "text/plain"

# Detected type -> (how we name it to people, the file-name endings it may carry).
ALLOWED: dict[str, tuple[str, tuple[str, ...]]] = {
    PDF: ("a PDF document", (".pdf",)),
    PNG: ("a PNG image", (".png",)),
    JPEG: ("a JPEG image", (".jpg", ".jpeg")),
    TEXT: ("a plain-text file", (".txt",)),
}
ALLOWED_SUMMARY = "PDF, PNG, JPEG or plain text (.txt)"
# For the file picker only (a hint to the browser; the content decides).
ACCEPT = ",".join(ext for _, exts in ALLOWED.values() for ext in exts)

FILENAME_MAX = 120

# Ordinary whitespace is fine in a text file; any other control character means it is not text.
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
# Control characters (C0, C1, line separators), characters Windows refuses in names, markup,
# and the bidirectional overrides that make "invoice\u202efdp.exe" display as "invoiceexe.pdf".
_UNSAFE_IN_NAME = re.compile(
    r'[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069<>:"|?*]'
)
_EDGES = re.compile(r"^[\s.]+|[\s.]+$")


@dataclass(frozen=True)
class Limits:
    """How big one file may be, and how many one message may carry."""

    max_bytes: int
    max_files: int


def limits() -> Limits:
    """From settings (TUTELA_ATTACHMENT_MAX_BYTES, 5 MiB, and TUTELA_ATTACHMENTS_PER_MESSAGE, 3),
    read on each call so a test can override them."""
    return Limits(
        max_bytes=settings.TUTELA_ATTACHMENT_MAX_BYTES,
        max_files=settings.TUTELA_ATTACHMENTS_PER_MESSAGE,
    )


@dataclass(frozen=True)
class Upload:
    """A file as a person sent it: the name they gave it and its bytes."""

    filename: str
    content: bytes


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed every check, with its cleaned name and detected type."""

    filename: str
    content_type: str
    content: bytes


def detect_content_type(content: bytes) -> str | None:
    """The allowed type the bytes are, from their signature; None when they are none of them."""
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    return None if _TEXT_CONTROL.search(text) else TEXT


def clean_filename(filename: str) -> str:
    """The name without any folder part or characters unsafe in a name, at most FILENAME_MAX
    characters with its extension kept; "" when nothing usable is left."""
    name = unicodedata.normalize("NFC", filename).replace("\\", "/").rsplit("/", 1)[-1]
    name = _EDGES.sub("", _UNSAFE_IN_NAME.sub("_", name))
    if len(name) > FILENAME_MAX:
        _stem, dot, ext = name.rpartition(".")
        ext = f".{ext}" if dot and len(ext) <= 10 else ""
        name = _EDGES.sub("", name[: FILENAME_MAX - len(ext)]) + ext
    return name


def size_error(filename: str, size: int, max_bytes: int) -> str | None:
    """The message for a file over the limit (checked before the file is read), or None."""
    if size > max_bytes:
        return (
            f"\u201c{filename}\u201d is {filesizeformat(size)}; each file may be at most "
            f"{filesizeformat(max_bytes)}."
        )
    return None


def count_error(count: int, max_files: int) -> str | None:
    """The message for too many files on one message, or None."""
    if count > max_files:
        return f"Attach at most {max_files} files to one message (you chose {count})."
    return None


def _upload_problem(upload: Upload, limit: Limits) -> tuple[str | None, CheckedUpload | None]:
    shown = clean_filename(upload.filename) or "(unnamed file)"
    too_big = size_error(shown, len(upload.content), limit.max_bytes)
    if too_big:
        return too_big, None
    if not upload.content:
        return f"\u201c{shown}\u201d is empty.", None
    if shown == "(unnamed file)":
        return "A file has no usable name; rename it and attach it again.", None
    content_type = detect_content_type(upload.content)
    if content_type is None:
        return (
            f"\u201c{shown}\u201d is not a file type we accept: its content is not "
            f"{ALLOWED_SUMMARY}.",
            None,
        )
    described, endings = ALLOWED[content_type]
    if not shown.lower().endswith(endings):
        return (
            f"\u201c{shown}\u201d is {described}, but its name does not end in "
            f"{' or '.join(endings)}; rename it, or attach the file you meant.",
            None,
        )
    return None, CheckedUpload(filename=shown, content_type=content_type, content=upload.content)


def attachments_check(uploads: list[Upload], *, field: str = "attachments") -> list[CheckedUpload]:
    """Every upload checked (count, size, empty, name, type from content, name agrees with it).

    Raises one ValidationError keyed by `field`, listing every file at fault, so nothing is
    stored unless all of them are acceptable.
    """
    limit = limits()
    too_many = count_error(len(uploads), limit.max_files)
    if too_many:
        raise ValidationError({field: too_many})
    problems: list[str] = []
    checked: list[CheckedUpload] = []
    for upload in uploads:
        problem, ok = _upload_problem(upload, limit)
        if problem:
            problems.append(problem)
        elif ok is not None:
            checked.append(ok)
    if problems:
        raise ValidationError({field: problems})
    return checked
