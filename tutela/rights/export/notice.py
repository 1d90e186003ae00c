"""What UK GDPR Art. 15(1) and (2) require besides the copy, read from the policy file.

For every category the export holds: its purposes with their lawful bases, recipients and
processors, retention and source (Art. 15(1)(a)-(d), (g)); the transfer safeguards (Art. 15(2));
then, once, the rights to rectification, erasure, restriction and objection, the right to
complain to the ICO (Art. 15(1)(e), (f)) and automated decision-making (Art. 15(1)(h)). Every text
comes from `tutela.policy.api.current_policy()`; nothing here is specific to one policy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tutela.policy.api import Policy, Processor, Purpose, RetentionRule

_ROLE_LABELS = {
    "processor": "Processor: acts only on our instructions (Art. 28)",
    "independent_controller": "Independent controller: decides how it uses the data itself",
}


@dataclass(frozen=True)
class Use:
    """One source of the export holding a category: under which purpose and retention rule."""

    source: str
    purpose: str
    retention: str


def controller_json(policy: Policy) -> dict[str, Any]:
    """Who the controller is and how to reach them (Art. 15 answers come from them)."""
    controller, contacts = policy.controller, policy.contacts
    return {
        "name": controller.name,
        "company_number": controller.company_number,
        "registered_address": controller.registered_address.one_line,
        "email": contacts.email,
        "phone": contacts.phone,
        "post": contacts.post.one_line,
    }


def policy_json(policy: Policy) -> dict[str, Any]:
    """Which version of the privacy policy the export was made under."""
    return {
        "version": policy.version,
        "effective_date": policy.effective_date.isoformat(),
        "published_url": str(policy.published_url),
    }


def _purpose_json(purpose: Purpose, applies_to: list[str]) -> dict[str, Any]:
    return {
        "key": purpose.key,
        "label": purpose.label,
        "policy_text": purpose.policy_text,
        "lawful_basis": str(purpose.lawful_basis),
        "lawful_basis_label": purpose.lawful_basis.label,
        "legitimate_interest": purpose.legitimate_interest,
        "how_to_withdraw": list(purpose.how_to_withdraw),
        "direct_marketing": purpose.direct_marketing,
        "applies_to": applies_to,
    }


def _retention_json(rule: RetentionRule, applies_to: list[str]) -> dict[str, Any]:
    return {
        "key": rule.key,
        "summary": rule.summary,
        "period": rule.period,
        "reason": rule.reason,
        "policy_text": rule.policy_text,
        "applies_to": applies_to,
    }


def _processor_json(processor: Processor) -> dict[str, Any]:
    role = str(processor.role)
    return {
        "key": processor.key,
        "name": processor.name,
        "service": processor.service,
        "role": role,
        "role_label": _ROLE_LABELS.get(role, role.replace("_", " ")),
        "location": processor.location,
        "transfer_mechanism": str(processor.transfer_mechanism),
        "transfer_mechanism_label": processor.transfer_mechanism.label,
        "policy_url": str(processor.policy_url),
    }


def categories_json(policy: Policy, held: Mapping[str, Iterable[Use]]) -> list[dict[str, Any]]:
    """For each category held (in the policy's order): Art. 15(1)(a)-(d), (g) and 15(2)."""
    result = []
    rules = {rule.key: rule for rule in policy.retention}
    for category in policy.categories:
        uses = list(held.get(category.key, ()))
        if not uses:
            continue
        sources = list(dict.fromkeys(use.source for use in uses))
        purposes = list(policy.purposes_using(category.key))
        purposes += [
            policy.purpose(key)
            for key in dict.fromkeys(use.purpose for use in uses)
            if key not in {p.key for p in purposes}
        ]
        retention = list(policy.retention_for(category.key))
        retention += [
            rules[key]
            for key in dict.fromkeys(use.retention for use in uses)
            if key in rules and key not in {r.key for r in retention}
        ]
        result.append(
            {
                "key": category.key,
                "label": category.label,
                "description": category.description,
                "source": category.source,
                "fideslang": category.fideslang,
                "financial": category.financial,
                "held_in": sources,
                "purposes": [
                    _purpose_json(
                        p, list(dict.fromkeys(u.source for u in uses if u.purpose == p.key))
                    )
                    for p in purposes
                ],
                "retention": [
                    _retention_json(
                        r, list(dict.fromkeys(u.source for u in uses if u.retention == r.key))
                    )
                    for r in retention
                ],
                "recipients": [
                    _processor_json(p) for p in policy.processors if category.key in p.categories
                ],
            }
        )
    return result


def disclosure_grounds_json(policy: Policy) -> list[dict[str, Any]]:
    """Who else may receive data, and on what ground (Art. 15(1)(c): recipients)."""
    return [
        {
            "key": ground.key,
            "label": ground.label,
            "recipients": ground.recipients,
            "policy_text": ground.policy_text,
            "lawful_basis": str(ground.lawful_basis),
            "lawful_basis_label": ground.lawful_basis.label,
        }
        for ground in policy.disclosure_grounds
    ]


def transfers_json(policy: Policy) -> dict[str, Any]:
    """Where the data is stored and the safeguard for processing abroad (Art. 15(2))."""
    transfers = policy.international_transfers
    return {
        "stored_in": transfers.stored_in,
        "processed_abroad_by": transfers.processed_abroad_by,
        "activities": list(transfers.activities),
        "safeguard": str(transfers.safeguard),
        "safeguard_label": transfers.safeguard.label,
        "policy_text": transfers.policy_text,
    }


def rights_json(policy: Policy) -> list[dict[str, Any]]:
    """Every right the policy declares (Art. 15(1)(e), (f)): what it is and how to use it."""
    return [
        {
            "key": str(right.key),
            "label": right.label,
            "article": right.article,
            "how": right.how,
            "deadline_days": right.deadline_days,
            "channels": [str(channel) for channel in right.channels],
        }
        for right in policy.rights
    ]


def complaint_json(policy: Policy) -> dict[str, Any]:
    """The supervisory authority to complain to (Art. 15(1)(f), Art. 77)."""
    regulator = policy.regulator
    return {
        "name": regulator.name,
        "short_name": regulator.short_name,
        "phone": regulator.phone,
        "url": str(regulator.url),
    }


def automated_decisions_json(policy: Policy) -> dict[str, Any]:
    """Art. 15(1)(h): none, since no purpose of the policy decides about people automatically.

    The policy file has no field for automated decision-making because the policy describes
    none: every purpose it declares is a service, a message or a statistic, none a decision with
    legal or similarly significant effects taken by automated means alone (Art. 22). Should a
    policy declare one, this is the place to read it from.
    """
    return {
        "used": False,
        "explanation": (
            f"{policy.controller.name} makes no decision about you based solely on automated "
            "processing, including profiling, that has legal or similarly significant effects "
            f"on you (UK GDPR Art. 22): none of the purposes of our privacy policy, version "
            f"{policy.version}, does."
        ),
    }
