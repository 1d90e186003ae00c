"""What other apps may import from support."""

from tutela.support.attachments import Upload, limits
from tutela.support.downloads import attachment_response
from tutela.support.forms import StaffReplyForm, StatusForm
from tutela.support.models import Application, Attachment, Message
from tutela.support.selectors import Thread, attachment_of, queue, thread_of
from tutela.support.services import (
    STAFF_REPLY_STATUSES,
    application_open,
    application_staff_reply,
    application_status_set,
)

__all__ = [
    "STAFF_REPLY_STATUSES",
    "Application",
    "Attachment",
    "Message",
    "StaffReplyForm",
    "StatusForm",
    "Thread",
    "Upload",
    "application_open",
    "application_staff_reply",
    "application_status_set",
    "attachment_of",
    "attachment_response",
    "limits",
    "queue",
    "thread_of",
]
