"""Campaigns refuse to start when their mail would reach an undeclared processor (R26)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from tutela.campaigns.checks import check_email_processor


def test_the_shipped_setting_names_a_processor_declared_for_the_newsletter() -> None:
    assert check_email_processor() == []


@pytest.mark.parametrize(
    ("processor", "problem"),
    [
        ("nobody", "is not in the policy file's processors register"),
        # Office 365 carries our correspondence, but the policy does not name it for marketing.
        ("microsoft_365", "is not declared for the purpose 'marketing_email'"),
        ("google_analytics", "is not declared for the purpose 'marketing_email'"),
    ],
)
def test_an_undeclared_processor_stops_start_up(processor: str, problem: str) -> None:
    with override_settings(TUTELA_CAMPAIGN_EMAIL_PROCESSOR=processor):
        errors = check_email_processor()
    assert [error.id for error in errors] == ["campaigns.E001"]
    assert problem in errors[0].msg
