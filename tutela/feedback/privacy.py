"""Catalog entries for what people tell us outside an order (see tutela.policy.catalog)."""

from tutela.feedback.models import ContestEntry, ProblemReport, QuestionnaireResponse
from tutela.policy.api import Erasure, catalog_register

catalog_register(
    ProblemReport,
    subject="subject_id",
    # "if you report a problem with our product or site"; an anonymous reporter may leave an
    # address for the reply, which is their contact email.
    fields={
        "summary": "problem_reports",
        "details": "problem_reports",
        "reply_email": "contact_email",
    },
    purpose="respond_to_requests",
    erasure=Erasure.DELETE,
    retention="requests_and_correspondence",
    not_personal={"about": "whether the problem is with the site or a product: a fixed choice"},
)
catalog_register(
    QuestionnaireResponse,
    subject="subject_id",
    # "questionnaires that we use for research purposes, although you may not answer them":
    # only the answers given are stored; an empty response stores nothing at all.
    fields={"answers": "questionnaire_answers"},
    purpose="research",
    erasure=Erasure.DELETE,
    retention="questionnaires",
)
catalog_register(
    ContestEntry,
    subject="subject_id",
    # "when you participate in a contest or promotion sponsored by us". The entrant's name and
    # contact details stay on their account; the entry holds only their answer.
    fields={"answer": "contest_entries"},
    purpose="contests",
    erasure=Erasure.DELETE,
    retention="contests",
    not_personal={"rules_sha256": "the hash of the contest's rules text, the same for everyone"},
)
