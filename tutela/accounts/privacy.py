"""Catalog entries for identities and the sign-in security log (see tutela.policy.catalog)."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Group, Permission

from tutela.accounts.models import SecurityEvent, User
from tutela.policy.api import Erasure, catalog_exempt, catalog_register

catalog_register(
    User,
    subject="subject_id",
    # The blind index is a keyed hash of the address: pseudonymous, so still personal (R44).
    fields={
        "email": "contact_email",
        "email_bidx": "contact_email",
        "pending_email": "contact_email",
        "display_name": "name",
        "password": "account_credentials",
    },
    purpose="confirm_identity",
    not_personal={"email_verified_at": "when the address was proven; says nothing of whom"},
    # The row stays (orders and invoices under a legal hold point at it); what identified the
    # person goes.
    erasure=Erasure.ANONYMISE,
    retention="account_data",
)
# allauth's address table. Tutela never writes to it (the address lives encrypted on User);
# catalogued all the same, so that anything allauth might store there is still exported and erased.
catalog_register(
    EmailAddress,
    subject="user__subject_id",
    fields={"email": "contact_email"},
    purpose="confirm_identity",
    erasure=Erasure.DELETE,
    retention="account_data",
)
catalog_register(
    Authenticator,
    subject="user__subject_id",
    fields={"data": "account_credentials"},
    purpose="confirm_identity",
    erasure=Erasure.DELETE,
    retention="account_data",
)
catalog_register(
    SecurityEvent,
    subject="user__subject_id",
    fields={"ip_address": "ip_address"},
    purpose="security_fraud_prevention",
    erasure=Erasure.DELETE,
    retention="security_logs",
)
catalog_exempt(Group, reason="staff role names, not people")
catalog_exempt(Permission, reason="permission names, not people")
