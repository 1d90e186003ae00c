"""Catalog entries for the staff app (see tutela.policy.catalog)."""

from tutela.policy.api import Erasure, catalog_register
from tutela.staff.models import StaffCorrection

catalog_register(
    StaffCorrection,
    subject="customer__user__subject_id",
    # The reason records what the customer asked us to correct, in a call, email or letter, so it
    # is their correspondence; the changed values themselves live in customers.ProfileChange.
    fields={"reason": "correspondence"},
    purpose="respond_to_requests",
    erasure=Erasure.DELETE,
    retention="requests_and_correspondence",
)
