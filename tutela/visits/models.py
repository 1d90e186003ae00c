"""The security log of visits: which IP address reached which part of the site, hour by hour.

"We collect information about IP addresses to ensure security (DDoS prevention, hacking
prevention and fraud) ... under legitimate interest." One row aggregates one hour of requests
from one address (and account, if signed in) to one part of the site, so a busy site writes a
row per visitor and hour, not per request (see `tutela.visits.recorder`). The retention rule
`security_logs` cuts the address to its network after 30 days and deletes the row after 13
months (`services.visits_truncate`); the catalog entry is in privacy.py.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models


class Visit(models.Model):
    """Requests from one IP address to one part of the site in one hour (R2, security log)."""

    # The full address for the first 30 days; then the network (IPv4 /24, IPv6 /48), with
    # ip_truncated set so that the retention job never needs to look at the row again.
    ip_address = models.GenericIPAddressField("IP address")
    ip_truncated = models.BooleanField(default=False, editable=False)
    # The pseudonymous subject id of the signed-in person (customer or staff); null when the
    # visitor was not signed in. No foreign key: the log is keyed the way the catalog walks.
    subject_id = models.UUIDField(null=True, blank=True, editable=False)
    # The first segment of the path, from a closed list (the site's top-level URL prefixes, or
    # "other"): enough to tell an attack on the sign-in from a crawl, without storing URLs.
    path_group = models.CharField("part of the site", max_length=32)
    # The start of the hour (UTC) this row aggregates.
    bucket = models.DateTimeField()
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    request_count = models.PositiveIntegerField()
    # Requests answered 4xx (refused, not found, rate-limited): scanning and brute force show here.
    rejected_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering: ClassVar[list[str]] = ["-last_seen", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            # The recorder's merge, and the staff filter by address.
            models.Index(fields=["ip_address", "bucket"], name="visits_ip_bucket"),
            models.Index(fields=["subject_id", "-last_seen"], name="visits_subject"),
            # The retention job: full addresses older than the cut-off, oldest first.
            models.Index(fields=["ip_truncated", "first_seen"], name="visits_retention"),
            models.Index(fields=["first_seen"], name="visits_first_seen"),
            # The staff log, newest first.
            models.Index(fields=["-last_seen"], name="visits_last_seen"),
        ]

    def __str__(self) -> str:
        return f"{self.request_count} requests from {self.ip_address} to {self.path_group}"
