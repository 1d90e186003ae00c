"""Public pages rendered from the policy file."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tutela.policy.api import current_policy


def summary(request: HttpRequest) -> HttpResponse:
    """'Privacy at a glance': who we are, what we collect and why, who gets it, for how long."""
    policy = current_policy()
    return render(
        request,
        "policy/summary.html",
        {
            "policy": policy,
            "purposes": [(p, policy.categories_of(p.categories)) for p in policy.purposes],
            "processors": [(p, policy.categories_of(p.categories)) for p in policy.processors],
            "retention": [
                (
                    rule,
                    policy.categories_of(policy.covered_categories(rule)),
                    [policy.purpose(key) for key in rule.purposes],
                )
                for rule in policy.retention
            ],
        },
    )
