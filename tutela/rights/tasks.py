"""The rights app's background tasks: erasure carried out without a privacy officer, when the
deployment allows it (TUTELA_ERASURE_AUTOMATIC). Tasks take ids, never personal data."""

from __future__ import annotations

import logging

from django_tasks import task

from tutela.audit.api import Actor
from tutela.rights.models import DataSubjectRequest
from tutela.rights.services import dsr_fulfil_erasure

logger = logging.getLogger(__name__)
ACTOR = Actor.system("erasure")


@task()
def erasure_carry_out(request_id: str) -> str:
    """Carry out (or resume) a verified erasure request; returns the run's summary.

    Runs outside any transaction, so each step commits on its own; a failure is raised (the
    task backend records it) and the request stays in the privacy officers' queue to resume.
    """
    dsr = DataSubjectRequest.objects.get(pk=request_id)
    report = dsr_fulfil_erasure(dsr=dsr, actor=ACTOR)
    logger.info("erasure of %s: %s", dsr.reference, report.summary)
    return report.summary
