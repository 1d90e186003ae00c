"""Background tasks of campaigns: send one, and resume those a stopped worker left behind.

Thin (STYLE.md): they call sending.py and log what it did. Arguments are campaign ids only: the
task backend stores them in plain text.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_tasks import task

from tutela.campaigns.models import Campaign
from tutela.campaigns.sending import MailServerUnavailable, campaign_send_run

logger = logging.getLogger(__name__)

# A run sends for about this long, then queues its continuation: one large campaign does not
# keep the worker from the other tasks (and the periodic jobs) for hours.
RUN_SECONDS = 60.0


@task()
def campaign_send_task(campaign_id: int) -> dict[str, int]:
    """Send a campaign for about RUN_SECONDS, then queue the rest; returns this run's counts.

    An unreachable mail server is logged and raised, so the run is marked failed; what was sent
    stays recorded, and campaigns_resume_task tries again once the campaign has stalled.
    """
    try:
        result = campaign_send_run(campaign_id, seconds=RUN_SECONDS)
    except MailServerUnavailable as exc:
        logger.error("%s; campaigns_resume will try again", exc)
        raise
    logger.info(
        "campaign #%s: %d batch(es), %d sent, %d skipped, %d failed%s",
        campaign_id,
        result.batches,
        result.sent,
        result.skipped,
        result.failed,
        "; finished" if result.finished else "; continuing" if result.more else "",
    )
    if result.more:
        campaign_send_task.enqueue(campaign_id)
    return {"sent": result.sent, "skipped": result.skipped, "failed": result.failed}


@task()
def campaigns_resume_task() -> int:
    """Queue a send for every campaign still sending with no progress for
    TUTELA_CAMPAIGN_STALL_MINUTES (a worker stopped, the mail server was away, or the queueing
    after commit was lost); returns how many. Safe with a send still running: claims are
    serialised, so nobody is mailed twice."""
    stale = timezone.now() - timedelta(minutes=settings.TUTELA_CAMPAIGN_STALL_MINUTES)
    stalled = list(
        Campaign.objects.filter(status=Campaign.Status.SENDING)
        .annotate(last=Coalesce("progress_at", "send_requested_at"))
        .filter(Q(last__lt=stale) | Q(last__isnull=True))
        .values_list("pk", flat=True)
    )
    for campaign_id in stalled:
        logger.warning("campaign #%s has stalled; queueing its send again", campaign_id)
        campaign_send_task.enqueue(campaign_id)
    return len(stalled)
