"""Catalog entries for the personal account (see tutela.policy.catalog)."""

from tutela.customers.models import Customer, ProfileChange
from tutela.policy.api import Erasure, catalog_register

_ADDRESS = "contact_address"
_PROFILE_CATEGORIES = {
    "full_name": "name",
    "company_name": "company_name",
    "field_of_activity": "field_of_activity",
    "address_line1": _ADDRESS,
    "address_line2": _ADDRESS,
    "city": _ADDRESS,
    "postcode": _ADDRESS,
    "country": _ADDRESS,
    "phone": "contact_phone",
    "phone_alt": "contact_phone",
}
_ANY_PROFILE_CATEGORY = tuple(dict.fromkeys(_PROFILE_CATEGORIES.values()))

catalog_register(
    Customer,
    subject="subject_id",
    # The blind index of the name is a keyed hash: pseudonymous, so still personal data (R44).
    fields={**_PROFILE_CATEGORIES, "full_name_bidx": "name"},
    purpose="fulfil_contracts",
    erasure=Erasure.ANONYMISE,
    retention="account_data",
)
catalog_register(
    ProfileChange,
    subject="subject_id",
    # The history of corrections holds old and new values of any profile field.
    fields={"old_value": _ANY_PROFILE_CATEGORY, "new_value": _ANY_PROFILE_CATEGORY},
    purpose="fulfil_contracts",
    erasure=Erasure.DELETE,
    retention="account_data",
)
