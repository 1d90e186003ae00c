"""The staff roles, declared once: each role is a Django group holding exactly these permissions.

Least privilege (R8): a role gets a permission only when one of its tools needs it, and every
permission named here is checked by a view today. Later issues add their permissions (campaigns,
the request queue) here as they build the screens that check them.

Only the role decides what a staff member may do: per-user permissions and the superuser flag
grant nothing in the staff console (see `selectors.staff_member_for_user`).
"""

from __future__ import annotations

import logging
from typing import Any

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, models, router, transaction
from django.db.models import Q

logger = logging.getLogger(__name__)


class Role(models.TextChoices):
    """A staff role; its value is also the name of its Django group."""

    SUPPORT = "support", "Support"
    PRIVACY_OFFICER = "privacy_officer", "Privacy officer"
    MARKETING = "marketing", "Marketing"
    FINANCE = "finance", "Finance"


# Permissions as "app_label.codename", the form `User.has_perm` and templates' `perms` use.
VIEW_CUSTOMER_PROFILE = "staff.view_customer_profile"
CORRECT_CUSTOMER_PROFILE = "staff.correct_customer_profile"
VIEW_SECURITY_LOG = "staff.view_security_log"
# Django's own view permission of the feedback models (feedback cannot declare staff screens).
VIEW_PROBLEM_REPORTS = "feedback.view_problemreport"
CREATE_QUESTIONNAIRE = "feedback.add_questionnaire"
# Aggregate results only (counts per option); no page shows who answered or what they wrote.
VIEW_QUESTIONNAIRE_RESULTS = "feedback.view_questionnaire"
CREATE_CONTEST = "feedback.add_contest"
# Contests with their number of entries; no page shows an entrant or an entry.
VIEW_CONTESTS = "feedback.view_contest"
# Applications (support requests): the queue, each thread and its attachments (every read
# access-logged); answering is replying and setting the status.
VIEW_APPLICATIONS = "support.view_application"
ANSWER_APPLICATIONS = "support.change_application"
# Correspondence: a customer's emails and call records, and the unmatched imported mail (every
# read access-logged); recording emails and calls by hand; filing unmatched mail to a customer;
# playing call recordings, the most intrusive record, has a permission of its own.
VIEW_CORRESPONDENCE = "correspondence.view_emailrecord"
RECORD_CORRESPONDENCE = "correspondence.add_emailrecord"
FILE_UNMATCHED_EMAIL = "correspondence.change_emailrecord"
PLAY_CALL_RECORDINGS = "correspondence.view_callrecording"
# Orders with their lines and payments (brand and last four digits, never a token), and
# invoices with the billing details as issued (HTML and PDF); every read access-logged.
VIEW_ORDERS = "commerce.view_order"
VIEW_INVOICES = "commerce.view_invoice"
# Rights requests (Django's permissions of DataSubjectRequest): the queue ordered by time left
# and each request in full (every read access-logged); entering requests received by email,
# phone or post; handling them (identity checks, the clock, extensions, decisions on manifestly
# unfounded or excessive requests, the copy of the data, completion).
VIEW_RIGHTS_REQUESTS = "rights.view_datasubjectrequest"
ENTER_RIGHTS_REQUESTS = "rights.add_datasubjectrequest"
HANDLE_RIGHTS_REQUESTS = "rights.change_datasubjectrequest"
# Erasure (issue 5): carrying out a verified erasure request after its preview, and ticking off
# the processors to be told by hand (Django's permissions of ErasureRun and ProcessorNotice).
CARRY_OUT_ERASURE = "rights.add_erasurerun"
HANDLE_PROCESSOR_NOTICES = "rights.change_processornotice"
# Mail subscriptions ("By contacting our customer service department by phone"): look up a
# caller's newsletter subscription by their address, and record the unsubscribe they ask for
# with the staff member as evidence (each read and change access-logged). Support, who answer
# the phone; marketing never sees who is subscribed.
VIEW_SUBSCRIPTIONS = "consent.view_subscriber"
RECORD_PHONE_UNSUBSCRIBE = "consent.record_phone_withdrawal"
# Newsletter campaigns: see each campaign with its counts (never who received it), write and
# change drafts, and send or cancel one; the audience is computed at send time from consent.
VIEW_CAMPAIGNS = "campaigns.view_campaign"
WRITE_CAMPAIGNS = "campaigns.add_campaign"
EDIT_CAMPAIGNS = "campaigns.change_campaign"
SEND_CAMPAIGNS = "campaigns.send_campaign"

ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {
    # Answers customers: finds them and sees what they told us, never their sign-in log.
    # Also reads problem reports and answers applications: that is support's job.
    Role.SUPPORT: frozenset(
        {VIEW_CUSTOMER_PROFILE, VIEW_PROBLEM_REPORTS, VIEW_APPLICATIONS, ANSWER_APPLICATIONS}
        # Keeps the history of emails and calls with customers.
        | {VIEW_CORRESPONDENCE, RECORD_CORRESPONDENCE, FILE_UNMATCHED_EMAIL, PLAY_CALL_RECORDINGS}
        # Unsubscribes callers from the newsletter (the policy's third way out).
        | {VIEW_SUBSCRIPTIONS, RECORD_PHONE_UNSUBSCRIBE}
    ),
    # Handles rights requests: corrects profiles for customers (R15) and investigates sign-ins.
    Role.PRIVACY_OFFICER: frozenset(
        {VIEW_CUSTOMER_PROFILE, CORRECT_CUSTOMER_PROFILE, VIEW_SECURITY_LOG}
        # The rights request queue with its deadlines (issue 5).
        | {VIEW_RIGHTS_REQUESTS, ENTER_RIGHTS_REQUESTS, HANDLE_RIGHTS_REQUESTS}
        # Carries out erasure and tells the processors (issue 5).
        | {CARRY_OUT_ERASURE, HANDLE_PROCESSOR_NOTICES}
    ),
    # Writes research questionnaires and contests and sees their aggregate results, never a
    # name or an answer by itself; writes and sends newsletter campaigns (counts only).
    Role.MARKETING: frozenset(
        {CREATE_QUESTIONNAIRE, VIEW_QUESTIONNAIRE_RESULTS, CREATE_CONTEST, VIEW_CONTESTS}
        | {VIEW_CAMPAIGNS, WRITE_CAMPAIGNS, EDIT_CAMPAIGNS, SEND_CAMPAIGNS}
    ),
    # Reads orders, payments and invoices, the financial records; never a profile, a message
    # or a sign-in log. Read-only: no tool changes a financial record.
    Role.FINANCE: frozenset({VIEW_ORDERS, VIEW_INVOICES}),
}

# What each role is for, shown on the console and in docs/roles.md.
ROLE_PURPOSES: dict[Role, str] = {
    Role.SUPPORT: (
        "Answers customers: looks them up, sees the details they gave us, reads problem reports, "
        "answers applications, keeps the history of emails and calls, and unsubscribes "
        "callers from the newsletter."
    ),
    Role.PRIVACY_OFFICER: (
        "Handles rights requests: the request queue with its deadlines, identity checks and "
        "decisions; carries out erasure and tells the processors; corrects customers' details "
        "for them and reviews the security logs (sign-ins and visits)."
    ),
    Role.MARKETING: (
        "Runs research questionnaires and contests (aggregate results only) and email "
        "campaigns to people who consented (counts only, never who received them)."
    ),
    Role.FINANCE: (
        "Keeps the financial records: reads orders, their payments and invoices (kept at least "
        "6 years), and nothing else about customers."
    ),
}


def _split(permission: str) -> tuple[str, str]:
    app_label, _, codename = permission.partition(".")
    if not app_label or not codename:
        raise ImproperlyConfigured(f"{permission!r}: write permissions as 'app_label.codename'")
    return app_label, codename


def _declared_permissions(using: str) -> dict[str, Permission]:
    """Every permission roles.py names, as rows; a name with no row is a configuration error."""
    wanted = set().union(*ROLE_PERMISSIONS.values())
    if not wanted:
        return {}
    match = Q()
    for permission in wanted:
        app_label, codename = _split(permission)
        match |= Q(content_type__app_label=app_label, codename=codename)
    found = {
        f"{row.content_type.app_label}.{row.codename}": row
        for row in Permission.objects.using(using).filter(match).select_related("content_type")
    }
    missing = sorted(wanted - found.keys())
    if missing:
        raise ImproperlyConfigured(
            f"tutela/staff/roles.py names permissions that do not exist: {', '.join(missing)}"
        )
    return found


def staff_roles_sync(
    *, actor: str, using: str = DEFAULT_DB_ALIAS
) -> dict[str, tuple[list[str], list[str]]]:
    """Make each role's group exist and hold exactly its declared permissions.

    Idempotent. Side effects: creates missing role groups, adds missing permissions and removes
    any permission a group holds beyond its declaration (someone granted it by hand). Returns
    {role: (added, removed)} for the roles created or changed, and logs each with the actor.
    """
    changes: dict[str, tuple[list[str], list[str]]] = {}
    with transaction.atomic(using=using):
        rows = _declared_permissions(using)
        for role, declared in ROLE_PERMISSIONS.items():
            group, created = Group.objects.using(using).get_or_create(name=role.value)
            held = {
                f"{app_label}.{codename}"
                for app_label, codename in group.permissions.values_list(
                    "content_type__app_label", "codename"
                )
            }
            added, removed = sorted(declared - held), sorted(held - declared)
            if created or added or removed:
                group.permissions.set([rows[name] for name in declared])
                changes[role.value] = (added, removed)
                logger.info(
                    "staff roles sync by %s: %s%s gained %s, lost %s",
                    actor,
                    role.value,
                    " (created)" if created else "",
                    added or "nothing",
                    removed or "nothing",
                )
    return changes


def roles_sync_after_migrate(sender: Any, *, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """post_migrate receiver: create the declared permissions if needed, then sync the roles."""
    if not router.allow_migrate_model(using, Group):
        # `migrate --database <alias>` of a database without auth tables (the key store).
        return
    # Django creates permissions in its own post_migrate receiver, app by app; creating those we
    # name here first (idempotent) means the sync never depends on the order receivers run in,
    # even once roles name permissions of apps listed after staff in INSTALLED_APPS.
    for app_label in sorted({_split(name)[0] for name in set().union(*ROLE_PERMISSIONS.values())}):
        create_permissions(global_apps.get_app_config(app_label), verbosity=0, using=using)
    staff_roles_sync(actor="migrate", using=using)
