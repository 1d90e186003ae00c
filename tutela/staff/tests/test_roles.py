"""Roles are Django groups holding exactly the declared permissions, kept so by a sync (R8)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from tutela.accounts.models import User
from tutela.staff.roles import (
    ANSWER_APPLICATIONS,
    CARRY_OUT_ERASURE,
    CORRECT_CUSTOMER_PROFILE,
    CREATE_CONTEST,
    CREATE_QUESTIONNAIRE,
    EDIT_CAMPAIGNS,
    ENTER_RIGHTS_REQUESTS,
    FILE_UNMATCHED_EMAIL,
    HANDLE_PROCESSOR_NOTICES,
    HANDLE_RIGHTS_REQUESTS,
    PLAY_CALL_RECORDINGS,
    RECORD_CORRESPONDENCE,
    RECORD_PHONE_UNSUBSCRIBE,
    ROLE_PERMISSIONS,
    SEND_CAMPAIGNS,
    VIEW_APPLICATIONS,
    VIEW_CAMPAIGNS,
    VIEW_CONTESTS,
    VIEW_CORRESPONDENCE,
    VIEW_CUSTOMER_PROFILE,
    VIEW_INVOICES,
    VIEW_ORDERS,
    VIEW_PROBLEM_REPORTS,
    VIEW_QUESTIONNAIRE_RESULTS,
    VIEW_RIGHTS_REQUESTS,
    VIEW_SECURITY_LOG,
    VIEW_SUBSCRIPTIONS,
    WRITE_CAMPAIGNS,
    Role,
    staff_roles_sync,
)
from tutela.staff.selectors import staff_member_for_user


def held(role: Role) -> set[str]:
    group = Group.objects.get(name=role.value)
    return {
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    }


@pytest.mark.django_db
def test_after_migrate_each_role_holds_exactly_its_declared_permissions() -> None:
    """The post_migrate sync ran while the test database was built."""
    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)
    for role in Role:
        assert held(role) == ROLE_PERMISSIONS[role]


def test_least_privilege_is_what_the_issue_asks_for() -> None:
    """Support looks customers up and reads problem reports; the privacy officer also corrects
    and reviews sign-ins; marketing writes questionnaires and sees their aggregate results;
    finance reads orders and invoices, and nothing else."""
    assert ROLE_PERMISSIONS[Role.SUPPORT] == {
        VIEW_CUSTOMER_PROFILE,
        VIEW_PROBLEM_REPORTS,
        VIEW_APPLICATIONS,
        ANSWER_APPLICATIONS,
        VIEW_CORRESPONDENCE,
        RECORD_CORRESPONDENCE,
        FILE_UNMATCHED_EMAIL,
        PLAY_CALL_RECORDINGS,
        VIEW_SUBSCRIPTIONS,
        RECORD_PHONE_UNSUBSCRIBE,
    }
    assert ROLE_PERMISSIONS[Role.PRIVACY_OFFICER] == {
        VIEW_CUSTOMER_PROFILE,
        CORRECT_CUSTOMER_PROFILE,
        VIEW_SECURITY_LOG,
        VIEW_RIGHTS_REQUESTS,
        ENTER_RIGHTS_REQUESTS,
        HANDLE_RIGHTS_REQUESTS,
        CARRY_OUT_ERASURE,
        HANDLE_PROCESSOR_NOTICES,
    }
    assert ROLE_PERMISSIONS[Role.MARKETING] == {
        CREATE_QUESTIONNAIRE,
        VIEW_QUESTIONNAIRE_RESULTS,
        CREATE_CONTEST,
        VIEW_CONTESTS,
        VIEW_CAMPAIGNS,
        WRITE_CAMPAIGNS,
        EDIT_CAMPAIGNS,
        SEND_CAMPAIGNS,
    }
    assert ROLE_PERMISSIONS[Role.FINANCE] == {VIEW_ORDERS, VIEW_INVOICES}
    assert set(ROLE_PERMISSIONS) == set(Role)


@pytest.mark.django_db
def test_sync_is_idempotent_and_undoes_hand_made_grants() -> None:
    assert staff_roles_sync(actor="test") == {}
    support = Group.objects.get(name="support")
    support.permissions.add(Permission.objects.get(codename="correct_customer_profile"))
    Group.objects.get(name="finance").delete()

    changes = staff_roles_sync(actor="test")
    assert changes == {
        "support": ([], [CORRECT_CUSTOMER_PROFILE]),
        "finance": ([VIEW_INVOICES, VIEW_ORDERS], []),
    }
    assert held(Role.SUPPORT) == ROLE_PERMISSIONS[Role.SUPPORT]
    assert Group.objects.filter(name="finance").exists()
    assert staff_roles_sync(actor="test") == {}
    assert Group.objects.filter(name__in=Role.values).count() == len(Role)


@pytest.mark.django_db
def test_running_migrate_again_keeps_one_group_per_role() -> None:
    call_command("migrate", verbosity=0)
    call_command("migrate", verbosity=0)
    assert Group.objects.filter(name__in=Role.values).count() == len(Role)
    for role in Role:
        assert held(role) == ROLE_PERMISSIONS[role]


@pytest.mark.django_db
def test_a_staff_member_is_their_one_role(make_staff: Callable[..., User]) -> None:
    member = staff_member_for_user(make_staff(role="privacy_officer", name="Dana"))
    assert member is not None
    assert member.role is Role.PRIVACY_OFFICER
    assert member.permissions == ROLE_PERMISSIONS[Role.PRIVACY_OFFICER]
    assert member.label == "Dana (privacy officer)"


@pytest.mark.django_db
def test_an_inactive_or_demoted_member_is_no_staff_member(make_staff: Callable[..., User]) -> None:
    user = make_staff(role="support")
    user.is_active = False
    assert staff_member_for_user(user) is None
    user.is_active, user.is_staff = True, False
    assert staff_member_for_user(user) is None
