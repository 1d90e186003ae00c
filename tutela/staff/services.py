"""Staff writes: creating staff members and correcting a customer's profile for them."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from tutela.accounts.api import User
from tutela.customers.api import Customer, ProfileChange, customer_update
from tutela.staff.models import StaffCorrection
from tutela.staff.roles import CORRECT_CUSTOMER_PROFILE, Role
from tutela.staff.selectors import StaffMember

logger = logging.getLogger(__name__)

# A first name shown in histories; markup and control characters have no place in it.
_BAD_NAME_CHARACTERS = re.compile(r"[<>\x00-\x1f\x7f]")
_NAME_MAX = User._meta.get_field("display_name").max_length or 80


def _staff_member_errors(*, email: str, name: str, role: str, password: str) -> dict[str, str]:
    """Every problem with the new member's details, keyed by the argument it concerns."""
    errors: dict[str, str] = {}
    if role not in Role.values:
        errors["role"] = f"unknown role {role!r}; choose one of: {', '.join(Role.values)}."
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = f"{email!r} is not a valid email address."
    else:
        if User.objects.filter(email=email).exists():
            errors["email"] = f"{email} already has an account."
    if not name:
        errors["name"] = "give the staff member's first name (customers see role and first name)."
    elif len(name) > _NAME_MAX:
        errors["name"] = f"at most {_NAME_MAX} characters."
    elif _BAD_NAME_CHARACTERS.search(name):
        errors["name"] = "use plain text: no < > or control characters."
    try:
        # NIST SP 800-63B rules (length, common passwords, similarity to the email and name).
        validate_password(password, user=User(email=email, display_name=name))
    except ValidationError as exc:
        errors["password"] = " ".join(exc.messages)
    return errors


def staff_member_create(*, email: str, name: str, role: str, password: str, actor: str) -> User:
    """Create an active staff identity with a verified email address and exactly one role.

    Refuses, storing nothing, with a ValidationError keyed by argument (email, name, role,
    password) when any detail is wrong or the email is taken.
    """
    email = email.strip().lower()
    name = name.strip()
    errors = _staff_member_errors(email=email, name=name, role=role, password=password)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        group = Group.objects.filter(name=role).first()
        if group is None:
            raise ImproperlyConfigured("The staff role groups do not exist: run manage.py migrate.")
        # The person creating the account vouches for the address, so it counts as verified.
        user = User.objects.create_user(
            email=email,
            password=password,
            display_name=name,
            is_staff=True,
            email_verified_at=timezone.now(),
        )
        user.groups.add(group)
    logger.info("staff member created by %s: user=%s role=%s", actor, user.pk, role)
    return user


def customer_correct(
    *, customer: Customer, changes: Mapping[str, Any], reason: str, actor: StaffMember
) -> StaffCorrection:
    """A staff member corrects a customer's profile for them (R15), keeping the reason.

    Side effects: updates the profile, appends one ProfileChange per changed field (channel
    "staff", the actor's label such as "Dana (privacy officer)"), and one StaffCorrection that
    links those changes to the reason and the staff account. Refuses with a ValidationError,
    storing nothing, an invalid value, an empty reason or a correction that changes nothing.
    """
    if not actor.can(CORRECT_CUSTOMER_PROFILE):
        raise PermissionDenied(f"The {actor.role.label} role may not correct profiles.")
    with transaction.atomic():
        history = customer_update(
            customer=customer,
            changes=changes,
            channel=ProfileChange.Channel.STAFF,
            actor=actor.audit_actor,
            request=actor.request,
        )
        if not history:
            raise ValidationError(
                "Nothing to correct: change at least one field.", code="unchanged"
            )
        correction = StaffCorrection(
            customer=customer, reason=reason.strip(), actor_label=actor.label, actor=actor.user
        )
        # Raises (and rolls the profile change back) on an empty or over-long reason.
        correction.full_clean()
        correction.save()
        correction.changes.set(history)
    return correction
