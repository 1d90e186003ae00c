"""The campaigns app's periodic job: resume sends that stalled (see tasks.py)."""

from __future__ import annotations

from datetime import timedelta

from tutela.campaigns.tasks import campaigns_resume_task
from tutela.core.schedule import schedule

schedule.register("campaigns_resume", task=campaigns_resume_task, every=timedelta(minutes=5))
