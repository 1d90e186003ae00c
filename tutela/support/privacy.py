"""Catalog entries for applications (see tutela.policy.catalog).

"Existing customers can contact us by creating an application through their personal account":
what they and our staff write there, and the files they attach, is correspondence, kept to
answer them (respond_to_requests) and for two years after the application is closed
(requests_and_correspondence); erasure deletes it, and crypto-shredding has already made it
unreadable.
"""

from tutela.policy.api import Erasure, catalog_register
from tutela.support.models import Application, Attachment, Message

catalog_register(
    Application,
    subject="subject_id",
    fields={"subject_line": "correspondence"},
    purpose="respond_to_requests",
    erasure=Erasure.DELETE,
    retention="requests_and_correspondence",
    not_personal={"reference": "a random code we give the application, the same kind for all"},
)
catalog_register(
    Message,
    subject="subject_id",
    fields={"body": "correspondence"},
    purpose="respond_to_requests",
    erasure=Erasure.DELETE,
    retention="requests_and_correspondence",
    not_personal={
        "staff_label": "our staff member's first name and role, as the customer is shown it",
    },
)
catalog_register(
    Attachment,
    subject="subject_id",
    # The name is encrypted too: it can say who a file is about.
    fields={"filename": "correspondence", "content": "correspondence"},
    purpose="respond_to_requests",
    erasure=Erasure.DELETE,
    retention="requests_and_correspondence",
    not_personal={"content_type": "the file type we detected: PDF, PNG, JPEG or plain text"},
)
