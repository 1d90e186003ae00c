"""Catalog entries for identities and the sign-in security log (see tutela.policy.catalog)."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Group, Permission

from tutela.accounts.models import SecurityEvent, User
from tutela.policy.api import Erasure, catalog_exempt, catalog_register

catalog_register(
    User,
    subject="subject_id",
    fields={
        "email": "contact_email",
        "display_name": "name",
        "password": "account_credentials",
    },
    purpose="confirm_identity",
    # The row stays (orders and invoices under a legal hold point at it); what identified the
    # person goes.
    erasure=Erasure.ANONYMISE,
    retention="account_data",
)
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
