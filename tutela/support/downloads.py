"""How an attachment leaves the server: as a download, never as a page the browser renders."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.http import content_disposition_header

from tutela.support.models import Attachment


def attachment_response(attachment: Attachment) -> HttpResponse:
    """The file with the type detected at upload, as an attachment the browser must not sniff.

    `Content-Disposition: attachment` and `nosniff` keep a crafted file (a text file full of
    HTML, a PDF with script) from running in our origin; no caching by shared proxies.
    """
    content_type = attachment.content_type
    if content_type == Attachment.ContentType.TEXT:
        content_type += "; charset=utf-8"
    response = HttpResponse(bytes(attachment.content), content_type=content_type)
    response["Content-Disposition"] = (
        content_disposition_header(as_attachment=True, filename=attachment.filename) or "attachment"
    )
    response["Content-Length"] = str(len(attachment.content))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
