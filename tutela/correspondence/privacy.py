"""Catalog entries for correspondence and calls (see tutela.policy.catalog).

"If you contact us, we can save the history of this correspondence and recording telephone
conversations", and "any other personal information that you may disclose during negotiations,
calls, or electronic correspondence": the text, with what the scan found in it, is correspondence;
the addresses are contact emails; recordings have a category and a shorter retention of their own.
"""

from tutela.correspondence.models import CallRecord, CallRecording, EmailRecord
from tutela.policy.api import Erasure, catalog_register

catalog_register(
    EmailRecord,
    subject="subject_id",
    fields={
        "from_address": "contact_email",
        "to_addresses": "contact_email",
        "subject_line": "correspondence",
        "body": "correspondence",
        # Taken from the message's headers; it may name the sender's host or mailbox.
        "message_id": "correspondence",
        "findings": "correspondence",
    },
    purpose="respond_to_requests",
    erasure=Erasure.DELETE,
    retention="requests_and_correspondence",
    not_personal={
        "message_id_bidx": "a keyed hash (HMAC) of the Message-ID, to find re-imports; the key "
        "is kept apart from the database, so it cannot be reversed from a dump",
    },
)
catalog_register(
    CallRecord,
    subject="subject_id",
    # When, which way and how long are facts of the record; what was said is in the notes.
    fields={"notes": "correspondence", "findings": "correspondence"},
    purpose="respond_to_requests",
    erasure=Erasure.DELETE,
    retention="requests_and_correspondence",
)
catalog_register(
    CallRecording,
    subject="subject_id",
    fields={"audio": "call_recordings"},
    purpose="respond_to_requests",
    erasure=Erasure.DELETE,
    retention="call_recordings",
)
