"""Catalog entries for campaigns (see tutela.policy.catalog).

A campaign's words are the same for everyone and name nobody; who it went to is personal data,
kept by subscriber and subject id only (the address is read at send time, never stored here).
"""

from tutela.campaigns.models import Campaign, Delivery
from tutela.policy.api import Erasure, catalog_exempt, catalog_register

catalog_exempt(
    Campaign,
    reason=(
        "the newsletter's subject line and text, written by marketing and the same for every "
        "recipient; the author is kept as a staff label (first name and role), as elsewhere"
    ),
)
catalog_register(
    Delivery,
    subject="subject_id",
    # Whether this person was sent a campaign, or left out and why (withdrawn, suppressed, an
    # objection): the use made of their consent and the choices they made, kept with the
    # consent records as the proof that each email went out under a consent in force.
    fields={"status": "privacy_choices", "reason": "privacy_choices"},
    purpose="marketing_email",
    # Erasure deletes them: nothing is owed to anyone about a past newsletter, and a row still
    # waiting is then never sent (a send reads the rows, not the subscribers, to find its way).
    erasure=Erasure.DELETE,
    retention="consent_records",
    not_personal={"subscriber_id": "the consent app's pseudonymous row id, no contact detail"},
)
