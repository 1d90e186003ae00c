"""What other apps may import from visits."""

from tutela.visits.models import Visit
from tutela.visits.retention import ip_truncate
from tutela.visits.services import IpLogCounts, visits_truncate

__all__ = ["IpLogCounts", "Visit", "ip_truncate", "visits_truncate"]
