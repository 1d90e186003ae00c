"""Background tasks of the access log: sealing a signed checkpoint (R7), run by the schedule."""

from __future__ import annotations

import logging

from django_tasks import task

from tutela.audit.actor import Actor
from tutela.audit.chain import ChainBroken
from tutela.audit.selectors import latest_checkpoint
from tutela.audit.services import audit_seal
from tutela.audit.signing import SigningKeyError

logger = logging.getLogger(__name__)


@task()
def audit_seal_task() -> int:
    """Seal the access log as the system job `audit_seal`; returns the checkpoint's tree size.

    A broken chain or an unusable signing key is logged as an error and raised, so the run is
    marked failed (with its traceback) and the next slot tries again.
    """
    before = latest_checkpoint()
    try:
        checkpoint = audit_seal(actor=Actor.system("audit_seal"))
    except (ChainBroken, SigningKeyError) as exc:
        logger.error("audit_seal: refusing to seal: %s (run manage.py audit_verify)", exc)
        raise
    if checkpoint is None:
        logger.info("audit_seal: the access log is empty; nothing to seal")
        return 0
    if before is not None and before.pk == checkpoint.pk:
        logger.info("audit_seal: nothing new since the checkpoint of %d events",
                    checkpoint.tree_size)  # fmt: skip
    else:
        logger.info("audit_seal: signed a checkpoint of %d events", checkpoint.tree_size)
    return checkpoint.tree_size
