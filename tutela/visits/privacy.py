"""Catalog entry for the security log of visits (see tutela.policy.catalog)."""

from tutela.policy.api import Erasure, catalog_register
from tutela.visits.models import Visit

catalog_register(
    Visit,
    subject="subject_id",
    # "We collect information about IP addresses to ensure security (DDoS prevention, hacking
    # prevention and fraud) ... under legitimate interest." The rest of the row is traffic data
    # ("which pages you visit, when, how often"), listed so that an access export shows it all.
    fields={
        "ip_address": "ip_address",
        "path_group": "usage_data",
        "bucket": "usage_data",
        "first_seen": "usage_data",
        "last_seen": "usage_data",
        "request_count": "usage_data",
        "rejected_count": "usage_data",
    },
    purpose="security_fraud_prevention",
    # Erasure deletes the rows linked to the person's account. Keeping them for the rest of
    # their 30 days under the security interest (Art. 17(1)(c) read with Art. 21(1)) was
    # considered and turned down: the sign-in log (accounts.SecurityEvent) already deletes on
    # erasure, an erasure is carried out only after identity checks and re-authentication, and
    # what an attack leaves behind is mostly traffic from visitors who are not signed in, whose
    # rows carry no subject and stay under the retention rule. One rule for the whole security
    # log is also what the person is told.
    erasure=Erasure.DELETE,
    retention="security_logs",
    not_personal={
        "ip_truncated": "whether the address was already cut to its network: a flag",
    },
)
