"""The two forms of the access export: JSON valid against the committed JSON Schema (R10), and a
printable document stating, per category, what UK GDPR Art. 15(1) and (2) require (R9)."""

from __future__ import annotations

import copy
import html
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from django.conf import settings

from tutela.crypto.api import KeyClass, subject_shred
from tutela.customers.api import Customer
from tutela.policy.api import current_policy
from tutela.rights.export import SCHEMA_PATH, export_collect
from tutela.rights.tests.test_export_data import fill, things

pytestmark = pytest.mark.django_db

SCHEMA = json.loads((Path(settings.BASE_DIR) / SCHEMA_PATH).read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(
    SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)


@pytest.fixture
def ada(make_customer: Callable[..., Customer]) -> Customer:
    customer = make_customer(email="ada@example.com", full_name="Ada Lovelace")
    fill(customer, things(), tag="Tom & Jerry", reports=2)
    return customer


def errors(data: dict[str, Any]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(data)]


def text_of(page: str) -> str:
    """The page's text with entities decoded, for "the page says X" checks."""
    return html.unescape(page)


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_real_exports_validate_against_the_committed_schema(ada: Customer) -> None:
    data = export_collect(str(ada.subject_id)).to_json()
    assert errors(data) == []
    # Round-tripped through the text a download carries, too.
    assert errors(json.loads(export_collect(str(ada.subject_id)).to_json_text())) == []
    subject_shred(
        subject=ada.subject_id, key_classes=[KeyClass.ACCOUNT], actor_label="t", reason="t"
    )
    assert errors(export_collect(str(ada.subject_id)).to_json()) == []
    assert errors(export_collect("00000000-0000-4000-8000-000000000000").to_json()) == []


def test_the_schema_refuses_what_an_export_must_never_contain(ada: Customer) -> None:
    """The schema has teeth: a staff member's address, an unknown value state, a missing right."""
    good = export_collect(str(ada.subject_id)).to_json()
    staff_ip = copy.deepcopy(good)
    staff = next(e for e in staff_ip["access_log"]["events"] if e["actor_kind"] == "staff")
    staff["ip"] = "198.51.100.7"
    assert errors(staff_ip)
    odd_value = copy.deepcopy(good)
    odd_value["records"][0]["rows"][0]["values"]["email"] = {"state": "decrypt-failed"}
    assert errors(odd_value)
    no_complaint = copy.deepcopy(good)
    no_complaint["rights"] = [r for r in good["rights"] if r["key"] != "complaint"]
    assert errors(no_complaint)
    unknown_key = copy.deepcopy(good)
    unknown_key["extra"] = 1
    assert errors(unknown_key)


def test_the_document_states_purposes_basis_retention_recipients_and_source_per_category(
    ada: Customer,
) -> None:
    """Art. 15(1)(a)-(d), (g): every category held, with what the policy file says of it."""
    export = export_collect(str(ada.subject_id))
    page = text_of(export.to_html())
    policy = current_policy()
    held = export.category_keys
    assert {"name", "contact_email", "ip_address", "problem_reports", "contest_entries"} <= set(
        held
    )
    for key in held:
        category = policy.category(key)
        start = page.index(f'id="category-{key}"')
        block = page[start : page.index("</article>", start)]
        assert category.label in block and category.source in block, key
        for purpose in policy.purposes_using(key):
            assert purpose.label in block and purpose.lawful_basis.label in block, (key, purpose)
        for rule in policy.retention_for(key):
            assert rule.summary[1:] in block, (key, rule.key)  # capitalised on the page
        for processor in policy.processors:
            if key in processor.categories:
                assert processor.name in block and processor.location in block, (key, processor)


def test_the_document_states_the_rights_the_ico_transfers_and_automated_decisions(
    ada: Customer,
) -> None:
    """Art. 15(1)(e), (f), (h) and 15(2), read from the policy file."""
    page = text_of(export_collect(str(ada.subject_id)).to_html())
    policy = current_policy()
    for key in ("rectification", "erasure", "restriction", "objection", "complaint"):
        right = policy.right(key)
        assert right.label in page and right.how in page, key
    assert policy.regulator.name in page and policy.regulator.phone in page
    assert policy.international_transfers.safeguard.label in page
    assert "no decision about you based solely on automated processing" in page
    for ground in policy.disclosure_grounds:
        assert ground.recipients in page


def test_the_document_shows_the_records_escaped_and_the_access_log(ada: Customer) -> None:
    page = export_collect(str(ada.subject_id)).to_html()
    assert "Tom &amp; Jerry report 0" in page and "Tom & Jerry report" not in page
    assert "Sam (support)" in page and "Answering your requests" in page
    assert "Ada Lovelace" in page and "ada@example.com" in page


def test_the_document_is_self_contained_printable_and_runs_no_script(ada: Customer) -> None:
    export = export_collect(str(ada.subject_id))
    page = export.to_html()
    assert page.lstrip().startswith("<!doctype html>")
    assert "@media print" in page and "@page" in page
    assert "<script" not in page and "<link" not in page
    assert "<style>" in page
    assert '<style nonce="abc123">' in export.to_html(csp_nonce="abc123")
