"""Forms for applications, for customers and (imported by tutela.staff) for our staff.

The attachments field refuses too many or too big files before reading any, then checks the
content; the services check everything again, so no caller can store a bad file (R40).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat

from tutela.support.attachments import (
    ACCEPT,
    ALLOWED_SUMMARY,
    Upload,
    attachments_check,
    count_error,
    limits,
    size_error,
)
from tutela.support.models import (
    BODY_MAX,
    SUBJECT_LINE_MAX,
    Application,
    validate_no_control_characters,
)
from tutela.support.services import STAFF_REPLY_STATUSES


class MultipleFileInput(forms.FileInput):
    """A file picker that takes several files (Django's documented pattern)."""

    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Zero or more files, returned as Uploads; refuses too many or too big before reading."""

    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", "Attachments")
        super().__init__(**kwargs)
        limit = limits()
        self.widget.attrs["accept"] = ACCEPT
        self.help_text = (
            f"Optional: up to {limit.max_files} files, {ALLOWED_SUMMARY}, each at most "
            f"{filesizeformat(limit.max_bytes)}."
        )

    def clean(self, data: Any, initial: Any = None) -> list[Upload]:
        files: list[UploadedFile] = [
            f for f in (data if isinstance(data, list | tuple) else [data]) if f
        ]
        limit = limits()
        too_many = count_error(len(files), limit.max_files)
        if too_many:
            raise ValidationError(too_many, code="too_many")
        too_big = [
            problem
            for f in files
            if (problem := size_error(f.name or "", f.size or 0, limit.max_bytes))
        ]
        if too_big:
            raise ValidationError(too_big, code="too_big")
        uploads = []
        for upload in files:
            upload.seek(0)
            uploads.append(Upload(filename=upload.name or "", content=upload.read()))
        # The content checks too, so every problem shows at once (the service repeats them).
        try:
            attachments_check(uploads)
        except ValidationError as exc:
            raise ValidationError(exc.messages, code="bad_file") from None
        return uploads


def _body_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        validators=[validate_no_control_characters],
        error_messages={"required": "Write your message."},
    )


class _Form(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class ApplicationOpenForm(_Form):
    """A new application: what it is about, the message, and optional files."""

    subject_line = forms.CharField(
        label="Subject",
        max_length=SUBJECT_LINE_MAX,
        validators=[validate_no_control_characters],
        error_messages={"required": "Say in a few words what your application is about."},
    )
    body = _body_field("Your message")
    attachments = AttachmentsField()


class ReplyForm(_Form):
    """The customer's reply on their application."""

    body = _body_field("Your reply")
    attachments = AttachmentsField()


class StaffReplyForm(_Form):
    """A staff reply, and what the application becomes after it."""

    body = _body_field("Reply")
    attachments = AttachmentsField()
    status = forms.ChoiceField(
        label="Then mark the application as",
        choices=[(s.value, s.label) for s in STAFF_REPLY_STATUSES],
        initial=Application.Status.ANSWERED,
    )


class StatusForm(_Form):
    """Staff change an application's status without writing to the customer."""

    status = forms.ChoiceField(label="Status", choices=Application.Status.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Shown on the same page as the reply form, which has a status field too: distinct ids.
        kwargs.setdefault("auto_id", "id_change_%s")
        super().__init__(*args, **kwargs)
