"""Catalog entries for rights requests, their history and access exports (tutela.policy.catalog)."""

from tutela.policy.api import Erasure, catalog_register
from tutela.rights.models import DataSubjectRequest, DsrEvent, ErasureRun, ExportFile

PURPOSE = "rights_requests"

catalog_register(
    DataSubjectRequest,
    subject="subject_id",
    # Who asked and what they, or staff about them, wrote. The blind index of the email is a
    # keyed hash: pseudonymous, so still personal data (R44).
    fields={
        "requester_name": "name",
        "requester_email": "contact_email",
        "requester_email_bidx": "contact_email",
        "identity_note": "correspondence",
        "details": "correspondence",
        "decision_reason": "correspondence",
        "outcome_note": "correspondence",
    },
    purpose=PURPOSE,
    # Evidence that a request was answered (Art. 5(2)) is kept through erasure, minimised to its
    # kind, dates and status; shredding the subject's keys leaves the text unreadable.
    erasure=Erasure.LEGAL_HOLD,
    anonymise={
        "requester_name": "",
        "requester_email": "",
        "identity_note": "",
        "details": "",
        "decision_reason": "",
        "outcome_note": "",
    },
    retention="rights_requests",
    not_personal={"entered_by_label": "the staff member's role and first name, or the channel"},
)
catalog_register(
    DsrEvent,
    subject="subject_id",
    fields={"note": "correspondence"},
    purpose=PURPOSE,
    erasure=Erasure.LEGAL_HOLD,
    retention="rights_requests",
    not_personal={"actor_label": "the staff member's role and first name, not the subject's"},
)
catalog_register(
    ExportFile,
    subject="subject_id",
    # A copy of everything above, made at the person's request; the originals keep their own
    # rules, the copy goes when its link expires (policy: data_exports).
    fields={"json_data": "data_export", "html_data": "data_export"},
    purpose=PURPOSE,
    erasure=Erasure.DELETE,
    retention="data_exports",
)
catalog_register(
    ErasureRun,
    subject="subject_id",
    # The addresses captured before an erasure, to send its confirmation and fill the
    # suppression list; the rest of the run is counts and policy keys.
    fields={"contact_emails": "contact_email"},
    purpose=PURPOSE,
    # Evidence that the erasure was carried out, kept with the request. The addresses are not
    # minimised here (a run still in progress needs them): the run erases them itself when it
    # ends, and shreds the key of its own they were encrypted under.
    erasure=Erasure.LEGAL_HOLD,
    retention="rights_requests",
    not_personal={
        "last_error": "the step and error of a failed attempt: model and step names, never values",
    },
)
