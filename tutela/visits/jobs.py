"""The security log's periodic job: the retention sweep, daily at a quiet hour."""

from __future__ import annotations

from datetime import time

from tutela.core.schedule import schedule
from tutela.visits.tasks import visits_truncate_task

schedule.register("visits_truncate", task=visits_truncate_task, daily_at=time(3, 15))
