"""What an application accepts as a file: type from content, name agreeing with it, limits (R40)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from tutela.support.attachments import (
    ALLOWED,
    FILENAME_MAX,
    Upload,
    attachments_check,
    clean_filename,
    detect_content_type,
    limits,
)
from tutela.support.models import Attachment
from tutela.support.tests import files


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (files.PDF, "application/pdf"),
        (files.PNG, "image/png"),
        (files.JPEG, "image/jpeg"),
        (files.TEXT, "text/plain"),
        ("Grüße aus Köln\r\n\tZeile zwei\n".encode(), "text/plain"),
        (b"\xef\xbb\xbfwith a byte-order mark\n", "text/plain"),
        (files.EXE, None),
        (b"GIF89a\x01\x00\x01\x00", None),  # not an allowed type, and not text either
        (b"\x00\x01\x02binary", None),
        (b"\xff\xfe\x00\x00not utf-8", None),
    ],
)
def test_the_type_is_read_from_the_content(content: bytes, expected: str | None) -> None:
    assert detect_content_type(content) == expected


def test_the_model_offers_exactly_the_allowed_types() -> None:
    assert set(ALLOWED) == set(Attachment.ContentType.values)


def test_the_default_limits_are_five_mebibytes_and_three_files() -> None:
    assert limits().max_bytes == 5 * 1024 * 1024 and limits().max_files == 3
    with override_settings(TUTELA_ATTACHMENT_MAX_BYTES=10, TUTELA_ATTACHMENTS_PER_MESSAGE=1):
        assert limits().max_bytes == 10 and limits().max_files == 1


def test_good_files_pass_with_the_type_detected_and_the_name_cleaned() -> None:
    checked = attachments_check(
        [
            Upload("C:\\Users\\ada\\scan.PDF", files.PDF),
            Upload("../../photo.jpeg", files.JPEG),
            Upload("notes.txt", files.TEXT),
        ]
    )
    assert [(c.filename, c.content_type) for c in checked] == [
        ("scan.PDF", "application/pdf"),
        ("photo.jpeg", "image/jpeg"),
        ("notes.txt", "text/plain"),
    ]


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (Upload("invoice.pdf", files.EXE), "\u201cinvoice.pdf\u201d is not a file type we accept"),
        (Upload("invoice.pdf", files.PNG), "is a PNG image, but its name does not end in .png"),
        (
            Upload("setup.exe", files.TEXT),
            "is a plain-text file, but its name does not end in .txt",
        ),
        (Upload("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"), "does not end in .txt"),
        (Upload("empty.txt", b""), "\u201cempty.txt\u201d is empty."),
        (Upload("...", files.TEXT), "A file has no usable name"),
    ],
)
def test_bad_files_are_refused_with_a_message_naming_the_file(upload: Upload, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        attachments_check([upload])
    assert list(caught.value.message_dict) == ["attachments"]
    assert message in " ".join(caught.value.message_dict["attachments"])


@override_settings(TUTELA_ATTACHMENT_MAX_BYTES=100)
def test_a_file_over_the_limit_is_refused_and_every_bad_file_is_named() -> None:
    with pytest.raises(ValidationError) as caught:
        attachments_check(
            [Upload("big.txt", b"x" * 101), Upload("fine.txt", b"ok"), Upload("a.pdf", files.EXE)]
        )
    problems = caught.value.message_dict["attachments"]
    assert len(problems) == 2
    assert "\u201cbig.txt\u201d is 101\xa0bytes; each file may be at most 100\xa0bytes." in problems
    assert "a.pdf" in problems[1]


def test_more_files_than_allowed_are_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        attachments_check([Upload(f"{n}.txt", files.TEXT) for n in range(4)])
    assert caught.value.message_dict == {
        "attachments": ["Attach at most 3 files to one message (you chose 4)."]
    }


@given(st.text(max_size=300))
def test_a_cleaned_name_never_has_a_folder_control_or_markup_character(name: str) -> None:
    cleaned = clean_filename(name)
    assert len(cleaned) <= FILENAME_MAX
    assert not set(cleaned) & {"/", "\\", "<", ">", "\x00", "\n", "\r"}
    assert cleaned == cleaned.strip()


def test_a_long_name_is_shortened_keeping_its_extension() -> None:
    cleaned = clean_filename("a" * 300 + ".pdf")
    assert len(cleaned) == FILENAME_MAX and cleaned.endswith(".pdf")


def test_a_bidirectional_override_cannot_disguise_the_extension() -> None:
    """An override would make "invoice\u202efdp.exe" display as "invoiceexe.pdf"."""
    assert clean_filename("invoice\u202efdp.exe") == "invoice_fdp.exe"
