"""Catalog entry for the privacy engine's own personal-data store: the access log.

The audit app sits below the policy in the layering, so it cannot register itself; the policy
app, which owns the catalog, files it here by model label.
"""

from django.apps import apps

from tutela.policy.catalog import Erasure, catalog_exempt, catalog_register

catalog_register(
    apps.get_model("audit", "AccessEvent"),
    # Events are filed under the person whose data was accessed; they see them in their account
    # and in their access export (R7, R9).
    subject="subject",
    fields={"ip": "ip_address"},
    purpose="security_breaches",
    # Append-only and hash-chained: kept whole (accountability, Art. 5(2)) until its retention
    # rule deletes sealed stretches of it.
    erasure=Erasure.LEGAL_HOLD,
    retention="access_logs",
    not_personal={"actor_label": "the staff member's role and first name, not the subject's"},
)
# The task queue (django-tasks' database backend) is third-party, so filed here too.
catalog_exempt(
    apps.get_model("django_tasks_database", "DBTaskResult"),
    reason="background task runs: task paths, queue and backend names, and arguments that are "
    "ids, never personal data (tutela/core/tasks.py); finished rows are pruned after "
    "TUTELA_TASK_RESULTS_DAYS",
)
