"""The shipped policy file (policy/c-mes.yaml) says what C-MES's privacy policy says, lawfully;
the pages, the command and the start-up check built on it work."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.checks import Error
from django.core.management import CommandError, call_command
from django.test import Client, override_settings

from tutela.policy import api
from tutela.policy.api import LawfulBasis, Policy, load_policy
from tutela.policy.checks import check_policy_file
from tutela.policy.schema import Duration, TransferMechanism
from tutela.policy.tests.policy_data import SHIPPED, dump, shipped_data

# "Personal data we use": the policy's 11 uses, word for word.
ELEVEN_USES = [
    "To confirm your identity.",
    "To provide you with the products and services you have purchased from us.",
    "To fulfill our obligations arising from any contracts entered into between you and us.",
    "To ensure that the content from our site was presented in the most effective way for your "
    "device.",
    "For targeted responses to requests.",
    "To provide you with information, products or services that you request from us, if you have "
    "agreed to this.",
    "To notify you of changes in our services.",
    "To send you marketing emails when you have given explicit consent.",
    "To display personalized ads from us.",
    "To prevent fraud.",
    "To detect, prevent and diagnose potential security breaches.",
]


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(SHIPPED)


def test_the_shipped_policy_file_loads_and_is_the_configured_one(policy: Policy) -> None:
    """R37: the file the deployment runs is the shipped one and it validates."""
    assert api.current_policy() == policy
    assert policy.version == "1.0"
    assert policy.effective_date.isoformat() == "2018-06-01"
    assert str(policy.published_url) == "https://c-mes.co.uk/about/legal/privacy-policy/"


def test_it_declares_the_controller_and_every_contact_channel(policy: Policy) -> None:
    """R19: controller identity ("About Us") and the four ways to reach us ("To contact us")."""
    controller = policy.controller
    assert (controller.name, controller.company_number) == ("C-MES Solutions Ltd", "11244685")
    assert controller.registered_address.one_line == "120 Baker Street, London W1U 6TU"
    assert controller.jurisdiction == "England and Wales"
    assert policy.contacts.email == "feedback@c-mes.co.uk"
    # The policy's "+44 (0) 208 068 4673", regrouped as the London number it is.
    assert policy.contacts.phone == "+44 20 8068 4673"
    assert policy.contacts.post.postcode == "W1U 6TU"
    assert "personal account" in policy.contacts.account_application


def test_the_regulator_is_the_ico_with_its_real_phone_number(policy: Policy) -> None:
    """The policy's "0303 123 113" lacks a digit: the file has 0303 123 1113, and says why."""
    assert policy.regulator.short_name == "ICO"
    assert policy.regulator.phone == "+44 303 123 1113"
    assert "0303 123 113" in (policy.regulator.note or "")
    assert str(policy.regulator.url).startswith("https://www.ico.org.uk/")


def test_categories_cover_everything_the_policy_collects(policy: Policy) -> None:
    """R1, R31: each kind of data the policy names is declared with a fideslang category."""
    fideslang = {c.key: c.fideslang for c in policy.categories}
    assert fideslang["ip_address"] == "user.device.ip_address"
    assert fideslang["name"] == "user.name"
    assert fideslang["contact_email"] == "user.contact.email"
    assert fideslang["contact_phone"] == "user.contact.phone_number"
    assert fideslang["contact_address"] == "user.contact.address"
    assert fideslang["online_identifiers"] == "user.device.cookie_id"
    for key in [
        "company_name",
        "field_of_activity",
        "order_details",
        "payment_details",
        "invoices",
        "correspondence",
        "call_recordings",
        "questionnaire_answers",
        "contest_entries",
        "problem_reports",
        "usage_data",
    ]:
        assert key in fideslang
    financial = {c.key for c in policy.categories if c.financial}
    assert financial == {"order_details", "payment_details", "invoices"}


def test_the_eleven_uses_and_security_analytics_remarketing_each_have_a_basis(
    policy: Policy,
) -> None:
    """R35: every use the policy lists is a purpose with a lawful basis and the data it uses."""
    by_text = {" ".join(p.policy_text.split()): p for p in policy.purposes}
    for sentence in ELEVEN_USES:
        assert sentence in by_text, sentence
    for key in ["security_fraud_prevention", "analytics", "remarketing"]:
        assert policy.purpose(key).lawful_basis in LawfulBasis
    assert policy.purpose("security_fraud_prevention").lawful_basis == "legitimate_interests"
    assert policy.purpose("security_fraud_prevention").legitimate_interest
    assert policy.purpose("marketing_email").lawful_basis == "consent"
    assert policy.purpose("legal_compliance").lawful_basis == "legal_obligation"
    for purpose in policy.purposes:
        assert purpose.categories


def test_analytics_and_remarketing_need_consent_whatever_the_seed_says(policy: Policy) -> None:
    """R27: PECR reg. 6 needs consent for analytics and ad cookies; the departure is noted."""
    for key in ["analytics", "remarketing", "personalised_ads"]:
        purpose = policy.purpose(key)
        assert purpose.lawful_basis == "consent"
        assert "PECR" in (purpose.note or "")
        assert purpose.how_to_withdraw
    groups = {str(g.category): g for g in policy.cookies}
    assert groups.keys() == {"strictly_necessary", "preferences", "analytics", "advertising"}
    assert not groups["strictly_necessary"].consent_required
    assert all(g.consent_required for k, g in groups.items() if k != "strictly_necessary")
    assert groups["analytics"].processors == ("google_analytics",)


def test_newsletter_can_be_left_the_three_ways_the_policy_names(policy: Policy) -> None:
    """R21, R24: unsubscribe link, the account's Mail Subscriptions, or a phone call."""
    ways = " ".join(policy.purpose("marketing_email").how_to_withdraw)
    assert "unsubscribe link" in ways
    assert "Feedback > Email Management > Mail Subscriptions" in ways
    assert "phone" in ways
    assert policy.purpose("marketing_email").direct_marketing


def test_financial_records_are_kept_at_least_six_years(policy: Policy) -> None:
    """R14: "stored for at least 6 years", for every financial category and every step."""
    for category in (c for c in policy.categories if c.financial):
        rules = policy.retention_for(category.key)
        assert rules
        for rule in rules:
            assert rule.duration is not None and rule.duration.at_least_years(6)
            assert all(step.duration.at_least_years(6) for step in rule.then)


def test_every_category_has_a_retention_rule_and_ends_in_delete_or_anonymise(
    policy: Policy,
) -> None:
    """R31: each category has a rule; expiry deletes or anonymises."""
    for category in policy.categories:
        rules = policy.retention_for(category.key)
        assert rules, category.key
        for rule in rules:
            last = rule.then[-1].action if rule.then else rule.action
            assert last in {"delete", "anonymise"}, rule.key


def test_security_ip_logs_are_truncated_early_then_deleted(policy: Policy) -> None:
    """R2: a short period with the full IP, then truncated, then gone."""
    rules = [
        r for r in policy.retention_for("ip_address") if "security_fraud_prevention" in r.purposes
    ]
    assert len(rules) == 1
    rule = rules[0]
    assert (rule.period, rule.action, rule.start) == ("P30D", "truncate_ip", "collection")
    assert [(step.after, step.action) for step in rule.then] == [("P13M", "delete")]
    analytics = next(r for r in policy.retention if "analytics" in r.purposes)
    assert (analytics.duration, analytics.action) == (Duration(), "truncate_ip")  # R30


def test_the_four_processors_with_location_safeguard_and_policy_url(policy: Policy) -> None:
    """R33: "With whom we share personal data", each with its policy link."""
    urls = {p.key: str(p.policy_url) for p in policy.processors}
    assert urls == {
        "webhosting_uk": "https://www.webhosting.uk.com/privacy-policy/",
        "microsoft_365": "https://privacy.microsoft.com/",
        "google_analytics": "https://policies.google.com/technologies/partner-sites?hl=en-GB&gl=en",
        "google_remarketing": "https://policies.google.com/technologies/ads",
    }
    assert policy.processor("webhosting_uk").transfer_mechanism == "not_restricted"
    for key in ["google_analytics", "google_remarketing"]:
        processor = policy.processor(key)
        assert processor.transfer_mechanism == TransferMechanism.uk_us_data_bridge
        assert processor.opt_out
    assert policy.processor("google_remarketing").role == "independent_controller"


def test_disclosure_grounds_and_transfers_are_declared(policy: Policy) -> None:
    """R34, R8: the policy's disclosure cases; UK storage; consent is not a transfer mechanism."""
    grounds = {g.key: g for g in policy.disclosure_grounds}
    assert grounds.keys() == {
        "group_companies",
        "business_sale",
        "legal_obligation",
        "enforce_terms",
        "protect_rights",
    }
    assert "section 1159" in grounds["group_companies"].recipients
    assert "credit risk" in grounds["protect_rights"].policy_text
    transfers = policy.international_transfers
    assert transfers.stored_in == "United Kingdom"
    assert transfers.safeguard == "idta"
    assert "is not a transfer mechanism" in (transfers.note or "")


def test_rights_with_deadlines_access_in_28_days(policy: Policy) -> None:
    """R9, R11: every right is stated; access is answered within the policy's 28 days."""
    assert {str(r.key) for r in policy.rights} == {
        "access",
        "rectification",
        "erasure",
        "restriction",
        "objection",
        "portability",
        "complaint",
    }
    assert api.deadline_days("access") == 28
    assert api.deadline_days("complaint") is None
    assert "personal_account" in policy.right("rectification").channels
    assert "free of charge" in policy.right("access").how


def test_the_guidelines_promise_never_to_sell_or_share_marketing_data(policy: Policy) -> None:
    """R26: the promises at the top of the policy are in the file, word for word."""
    texts = {g.key: g.text for g in policy.guidelines}
    assert texts["never_sell"] == "We will never sell your data."
    assert texts["no_marketing_sharing"] == (
        "We will never share your marketing information with third parties."
    )


def test_lookups_other_apps_use(policy: Policy) -> None:
    """The api facade: categories, purposes, processor categories, retention by category."""
    assert api.category("contact_email").label == "Email address"
    assert api.purpose("analytics").lawful_basis == "consent"
    keys = {c.key for c in api.processor_categories("google_analytics")}
    assert keys == {"ip_address", "online_identifiers", "usage_data", "approximate_location"}
    assert [r.key for r in api.retention_rules_for("invoices")] == ["financial_records"]
    with pytest.raises(LookupError, match="no category 'shoe_size'"):
        api.category("shoe_size")
    with pytest.raises(LookupError):
        api.retention_rules_for("shoe_size")


def _write_bad_policy(tmp_path: Path) -> Path:
    data = shipped_data()
    data["purposes"][3]["lawful_basis"] = "because we can"
    path = tmp_path / "bad.yaml"
    path.write_bytes(dump(data))
    return path


def test_current_policy_follows_the_setting_and_refuses_a_bad_file(tmp_path: Path) -> None:
    """The cache is per file and cleared when TUTELA_POLICY_FILE changes."""
    bad = _write_bad_policy(tmp_path)
    with override_settings(TUTELA_POLICY_FILE=bad), pytest.raises(api.PolicyFileError):
        api.current_policy()
    assert api.current_policy().controller.name == "C-MES Solutions Ltd"


def test_the_summary_page_is_public_and_shows_contacts_processors_and_rights(
    client: Client, db: None
) -> None:
    """R33, R37, R38 (anonymous may read it), R39 (no inline script or style)."""
    response = client.get("/policy/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in [
        "Privacy at a glance",
        "C-MES Solutions Ltd",
        "11244685",
        "feedback@c-mes.co.uk",
        "+44 20 8068 4673",
        "Webhosting UK COM",
        "https://privacy.microsoft.com/",
        "Google Analytics",
        "Google remarketing",
        "28 days",
        "Our legitimate interests (Art. 6(1)(f))",
        "7 years after transaction: delete",
        "1 June 2018",
    ]:
        assert text in html, text
    assert "<script>" not in html and "<style" not in html and " style=" not in html
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_the_contact_page_shows_the_policy_contacts_and_the_regulator(
    client: Client, db: None
) -> None:
    """R19: "To contact us" and "Contact the regulator", from the policy file."""
    response = client.get("/account/contact/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in [
        'href="mailto:feedback@c-mes.co.uk"',
        'href="tel:+442080684673"',
        "120 Baker Street, London W1U 6TU",
        "creating an application through their personal account",
        'href="/account/"',
        "Information Commissioner&#x27;s Office",
        'href="tel:+443031231113"',
        "https://www.ico.org.uk/concerns",
    ]:
        assert text in html, text


def test_policy_validate_summarises_the_shipped_file() -> None:
    """`manage.py policy_validate` (run by bin/test) passes on the shipped file."""
    out = StringIO()
    call_command("policy_validate", str(SHIPPED), stdout=out)
    assert "is valid: C-MES Solutions Ltd, version 1.0, effective 2018-06-01" in out.getvalue()
    assert "18 purposes" in out.getvalue() and "4 processors" in out.getvalue()


def test_policy_validate_lists_each_problem_with_file_line_and_path(tmp_path: Path) -> None:
    """A bad file: every problem with file, line and field path; the command fails."""
    bad = _write_bad_policy(tmp_path)
    line = next(
        n for n, text in enumerate(bad.read_text().splitlines(), 1) if "because we can" in text
    )
    err = StringIO()
    with pytest.raises(CommandError, match="1 problem"):
        call_command("policy_validate", str(bad), stderr=err)
    assert f"bad.yaml, line {line}, purposes[3].lawful_basis: Input should be" in err.getvalue()
    assert "(found 'because we can')" in err.getvalue()


def test_the_system_check_refuses_a_bad_policy_file(tmp_path: Path) -> None:
    """Start-up (runserver, migrate, check) stops on a policy file that does not validate."""
    assert check_policy_file() == []
    with override_settings(TUTELA_POLICY_FILE=_write_bad_policy(tmp_path)):
        errors = check_policy_file()
    assert len(errors) == 1
    assert isinstance(errors[0], Error) and errors[0].id == "policy.E001"
    assert "purposes[3].lawful_basis" in errors[0].msg
    with override_settings(TUTELA_POLICY_FILE=tmp_path / "missing.yaml"):
        assert "does not exist" in check_policy_file()[0].msg
