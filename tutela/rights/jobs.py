"""The rights app's periodic job: the privacy officers' morning reminder of due requests."""

from __future__ import annotations

from datetime import time

from tutela.core.schedule import schedule

schedule.register_command("dsr_remind", daily_at=time(7, 0))
