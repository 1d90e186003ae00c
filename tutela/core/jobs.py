"""Core's periodic jobs: pruning finished task results, and the commands named in settings."""

from __future__ import annotations

from datetime import time

from django.conf import settings

from tutela.core.schedule import schedule
from tutela.core.tasks import task_results_prune

schedule.register("task_results_prune", task=task_results_prune, daily_at=time(4, 0))
schedule.register_commands(settings.TUTELA_SCHEDULED_COMMANDS, setting="TUTELA_SCHEDULED_COMMANDS")
