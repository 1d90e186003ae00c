"""Catalog entries for consent and the newsletter (see tutela.policy.catalog).

"Consent to receive them may be withdrawn at any time": the ledger is the proof of consent
(Art. 7(1)) and is kept through an erasure request; the subscriber's address is kept only while
they want the newsletter; the suppression list keeps a keyed hash so an address is never mailed
again, unlinked from the person when they are erased. Cookie choices are proof of consent too,
about a browser rather than a person: its random id, never an account.
"""

from tutela.consent.models import ConsentRecord, CookieChoice, Subscriber, SuppressedAddress
from tutela.policy.api import Erasure, ExportSection, catalog_register, export_section_register

catalog_register(
    ConsentRecord,
    subject="pii_principal_id",
    # The choice itself and what proves it; the rest (purpose, channel, policy version, text
    # hash, time, who recorded it) is the record's context.
    fields={"event_type": "privacy_choices", "evidence": "privacy_choices"},
    purpose="marketing_email",
    # Proof that consent was given (Art. 7(1)) is a legal need that outlives the account; the
    # records hold nothing else about the person, so nothing is minimised.
    erasure=Erasure.LEGAL_HOLD,
    retention="consent_records",
)
# The access export shows these rows under "Your consent history" (tutela.policy.sections).
export_section_register(ConsentRecord, section=ExportSection.CONSENT_HISTORY)

catalog_register(
    Subscriber,
    subject="subject_id",
    # A visitor's address, and its keyed hash (pseudonymous, so still personal data, R44).
    # A customer's newsletter goes to their sign-in address, catalogued in accounts.
    fields={"email": "contact_email", "email_bidx": "contact_email"},
    purpose="marketing_email",
    erasure=Erasure.DELETE,
    retention="marketing_contacts",
)
catalog_register(
    SuppressedAddress,
    subject="subject_id",
    # "the suppression list that keeps an unsubscribed address from being mailed again"
    fields={"email_hash": "privacy_choices"},
    purpose="marketing_email",
    # Kept through erasure, or the address could be signed up and mailed again; minimised by
    # unlinking it from the person. Only the keyed hash remains, which names no one without
    # the blind-index key (kept apart from the database).
    erasure=Erasure.LEGAL_HOLD,
    anonymise={"subject_id": None},
    retention="consent_records",
)

catalog_register(
    CookieChoice,
    # The browser's random id from its choice cookie: no account, name or IP address is kept,
    # so no customer's subject id ever matches it (a signed-in customer's choice is proved by
    # their ledger records, above).
    subject="visitor_id",
    fields={
        "visitor_id": "online_identifiers",
        "preferences": "privacy_choices",
        "analytics": "privacy_choices",
        "advertising": "privacy_choices",
        "gpc": "privacy_choices",
    },
    # Proof of consent (Art. 7(1)), which PECR reg. 6 makes the condition for these cookies.
    purpose="legal_compliance",
    erasure=Erasure.LEGAL_HOLD,
    retention="cookie_choices",
)
export_section_register(CookieChoice, section=ExportSection.CONSENT_HISTORY)
