"""A broken policy file is refused with a useful message (file, line, field path, reason), and
nothing but PolicyFileError ever comes out of the loader (R40)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tutela.policy.api import Policy, PolicyFileError, load_policy, parse_policy
from tutela.policy.loader import MAX_POLICY_BYTES
from tutela.policy.schema import Duration
from tutela.policy.tests.policy_data import dump, index_of, problems_of, shipped_data


def only_problem(data: Any) -> tuple[str, str]:
    """(path, reason) of the single problem the data has."""
    problems = problems_of(data)
    assert len(problems) == 1, problems
    return problems[0].path, problems[0].reason


def test_an_unknown_fideslang_category_is_rejected_by_name() -> None:
    """The issue: "Unknown fideslang keys are rejected", checked against the installed taxonomy."""
    data = shipped_data()
    i = index_of(data["categories"], "contact_email")
    data["categories"][i]["fideslang"] = "user.contact.emial"
    path, reason = only_problem(data)
    assert path == f"categories[{i}].fideslang"
    assert "'user.contact.emial' is not a data category in the fideslang" in reason
    assert "did you mean 'user.contact.email'?" in reason


def test_an_unknown_fideslang_data_use_is_rejected() -> None:
    data = shipped_data()
    data["purposes"][0]["fideslang_use"] = "mind_reading"
    path, reason = only_problem(data)
    assert path == "purposes[0].fideslang_use"
    assert "'mind_reading' is not a data use" in reason


@pytest.mark.parametrize(
    ("section", "field"),
    [
        ("purposes", "categories"),
        ("processors", "categories"),
        ("retention", "categories"),
        ("processors", "purposes"),
        ("cookies", "purposes"),
    ],
)
def test_an_undeclared_reference_is_refused_with_its_path(section: str, field: str) -> None:
    """Every category or purpose named anywhere must be declared (R26: no undeclared data)."""
    data = shipped_data()
    i = next(n for n, item in enumerate(data[section]) if item.get(field))
    data[section][i][field].append("ghost")
    j = len(data[section][i][field]) - 1
    path, reason = only_problem(data)
    assert path == f"{section}[{i}].{field}[{j}]"
    assert reason.startswith("'ghost' is not a declared ")


def test_a_category_without_a_retention_rule_is_refused() -> None:
    """R31: each category has a retention rule."""
    data = shipped_data()
    data["categories"].append(
        {
            "key": "shoe_size",
            "fideslang": "user.demographic.profile",
            "label": "Shoe size",
            "description": "d",
            "source": "s",
        }
    )
    data["purposes"][0]["categories"].append("shoe_size")
    path, reason = only_problem(data)
    assert path == f"categories[{len(data['categories']) - 1}]"
    assert reason == "'shoe_size' has no retention rule"


def test_financial_retention_of_five_years_is_refused() -> None:
    """R14: "at least 6 years" for financial data; the schema refuses a shorter rule."""
    data = shipped_data()
    i = index_of(data["retention"], "financial_records")
    data["retention"][i]["period"] = "P5Y"
    path, reason = only_problem(data)
    assert path == f"retention[{i}].period"
    assert "financial categories (invoices, order_details, payment_details)" in reason
    assert "at least 6 years" in reason


def test_financial_data_cannot_go_early_through_a_purpose_rule_either() -> None:
    """A rule naming only a purpose covers that purpose's categories, financial ones included."""
    data = shipped_data()
    data["retention"].append(
        {
            "key": "quick",
            "purposes": ["legal_compliance"],
            "period": "until_purpose_ends",
            "purpose_ends": "account_closure",
            "action": "delete",
        }
    )
    path, reason = only_problem(data)
    assert path == f"retention[{len(data['retention']) - 1}].period"
    assert "until_purpose_ends" in reason


@pytest.mark.parametrize(
    ("text", "six_years"),
    [
        ("P6Y", True),
        ("P72M", True),
        ("P5Y12M", True),
        ("P2196D", True),
        ("P5Y11M", False),
        ("P2190D", False),  # six calendar years can be 2,192 days long
        ("P312W", False),
    ],
)
def test_six_years_means_six_calendar_years(text: str, six_years: bool) -> None:
    assert Duration.parse(text).at_least_years(6) is six_years


@pytest.mark.parametrize("text", ["P", "6Y", "P1Y2D3M", "PT24H", "P-1D", "P1.5Y", "p6y"])
def test_a_period_that_is_not_an_iso_date_duration_is_refused(text: str) -> None:
    data = shipped_data()
    data["retention"][1]["period"] = text
    data["retention"][1].pop("purpose_ends", None)
    data["retention"][1]["start"] = "collection"
    path, reason = only_problem(data)
    assert path == "retention[1].period"
    assert "is not an ISO 8601 duration" in reason


def test_a_missing_required_field_is_named() -> None:
    data = shipped_data()
    del data["controller"]["company_number"]
    assert only_problem(data) == ("controller.company_number", "Field required")


def test_an_unknown_field_is_refused() -> None:
    """extra="forbid": a misspelt field is an error, not silently ignored."""
    data = shipped_data()
    data["purposes"][2]["lawfull_basis"] = "contract"
    path, reason = only_problem(data)
    assert path == "purposes[2].lawfull_basis"
    assert reason.startswith("Extra inputs are not permitted")


def test_legitimate_interest_must_name_the_interest() -> None:
    """Art. 13(1)(d): a legitimate-interest purpose states the interest."""
    data = shipped_data()
    i = index_of(data["purposes"], "security_fraud_prevention")
    del data["purposes"][i]["legitimate_interest"]
    path, reason = only_problem(data)
    assert path == f"purposes[{i}]"
    assert "legitimate_interest: state the interest" in reason


def test_consent_purposes_must_say_how_to_withdraw() -> None:
    """R21: withdrawal as easy as giving."""
    data = shipped_data()
    i = index_of(data["purposes"], "marketing_email")
    data["purposes"][i]["how_to_withdraw"] = []
    assert "how_to_withdraw" in only_problem(data)[1]


def test_the_seeds_short_ico_phone_number_is_refused() -> None:
    data = shipped_data()
    data["regulator"]["phone"] = "0303 123 113"
    path, reason = only_problem(data)
    assert path == "regulator.phone"
    assert "not a valid phone number" in reason


def test_an_access_deadline_beyond_one_month_is_refused() -> None:
    """Art. 12(3): one month at most; 28 days is within a month whatever the start date."""
    data = shipped_data()
    data["rights"][0]["deadline_days"] = 31
    path, reason = only_problem(data)
    assert path == "rights[0].deadline_days"
    assert "less than or equal to 28" in reason


def test_duplicate_keys_and_missing_rights_are_refused() -> None:
    data = shipped_data()
    data["categories"][1]["key"] = data["categories"][0]["key"]
    data["rights"] = [r for r in data["rights"] if r["key"] != "portability"]
    reasons = {p.path: p.reason for p in problems_of(data)}
    assert reasons["categories[1].key"] == "duplicate key 'ip_address'"
    assert reasons["rights"] == "missing rights: portability"


def test_analytics_cookies_cannot_be_set_without_consent() -> None:
    """R27, PECR reg. 6."""
    data = shipped_data()
    i = next(n for n, g in enumerate(data["cookies"]) if g["category"] == "analytics")
    data["cookies"][i]["consent_required"] = False
    path, reason = only_problem(data)
    assert path == f"cookies[{i}]"
    assert "PECR reg. 6" in reason


def test_an_error_names_the_file_and_line(tmp_path: Path) -> None:
    """The message a person reads: "<file>, line N, <path>: <reason>"."""
    data = shipped_data()
    data["purposes"][3]["lawful_basis"] = "vibes"
    path = tmp_path / "c-mes.yaml"
    path.write_bytes(dump(data))
    line = next(n for n, t in enumerate(path.read_text().splitlines(), 1) if "vibes" in t)
    with pytest.raises(PolicyFileError) as caught:
        load_policy(path)
    (problem,) = caught.value.problems
    assert problem.line == line
    assert str(problem).startswith(
        f"{path}, line {line}, purposes[3].lawful_basis: Input should be 'consent', 'contract'"
    )
    assert str(problem) in str(caught.value)


def test_a_yaml_syntax_error_gives_its_line() -> None:
    text = dump(shipped_data()).decode().splitlines()
    text.insert(11, "controller: [unclosed")
    with pytest.raises(PolicyFileError) as caught:
        parse_policy("\n".join(text).encode(), "x.yaml")
    (problem,) = caught.value.problems
    assert (problem.path, problem.line) == ("YAML", 13)


def test_a_duplicated_yaml_key_is_refused_with_both_lines() -> None:
    """PyYAML would silently keep the second; a policy must not hide a value like that."""
    raw = b"version: '1.0'\nlaws: [x]\nversion: '2.0'\n"
    with pytest.raises(PolicyFileError) as caught:
        parse_policy(raw, "x.yaml")
    (problem,) = caught.value.problems
    assert problem.line == 3
    assert "duplicate key 'version' (first on line 1)" in problem.reason


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"version: '1.0'\nlaws: [a\x00b]\n", "contains a NUL byte"),
        ("version: 'caf\xe9'".encode("latin-1"), "is not UTF-8"),
        ("version: '1.0'".encode("utf-16"), "is UTF-16 or UTF-32; save it as UTF-8"),
        (b"", "must be a mapping of sections, found nothing"),
        (b"- a\n- b\n", "must be a mapping of sections, found list"),
        (b"just text", "must be a mapping of sections, found str"),
        (b"a: &x [1, 2]\nb: *x\n", "aliases are not allowed"),
        (b"a: !!python/object:os.system {}\n", "could not determine a constructor"),
        (b"a: !!int nope\n", "cannot read this value"),
        (b"d: 2018-02-30\n", "cannot read this value"),
        (b"[" * 5000, "exceeded maximum nesting depth"),
        (b"a: 1\n---\nb: 2\n", "expected a single document"),
        (b"# " + b"x" * MAX_POLICY_BYTES, "larger than 1024 KiB"),
    ],
)
def test_malformed_bytes_give_a_clear_error(raw: bytes, expected: str) -> None:
    """R40: NUL bytes, wrong encodings, huge or malformed files: a message, not a traceback."""
    with pytest.raises(PolicyFileError) as caught:
        parse_policy(raw, "x.yaml")
    assert expected in str(caught.value)


def test_missing_file_and_directory_are_reported(tmp_path: Path) -> None:
    with pytest.raises(PolicyFileError, match="does not exist"):
        load_policy(tmp_path / "nope.yaml")
    with pytest.raises(PolicyFileError, match="is a directory"):
        load_policy(tmp_path)


# --- Property tests: whatever the input, a Policy or a PolicyFileError with a message ----------


def assert_loads_or_explains(raw: bytes) -> None:
    try:
        result = parse_policy(raw, "fuzz.yaml")
    except PolicyFileError as exc:
        assert exc.problems
        assert all(p.reason.strip() and p.path for p in exc.problems)
        assert str(exc).startswith("fuzz.yaml: the policy file is not valid")
    else:
        assert isinstance(result, Policy)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_arbitrary_text_loads_or_raises_policy_file_error(text: str) -> None:
    assert_loads_or_explains(text.encode("utf-8", "surrogatepass"))


@settings(max_examples=200, deadline=None)
@given(st.binary())
def test_arbitrary_bytes_load_or_raise_policy_file_error(raw: bytes) -> None:
    assert_loads_or_explains(raw)


# Values a careless edit could put anywhere: every YAML type, nested a little.
yaml_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=30)
    | st.dates()
    | st.sampled_from(["", "P6Y", "contract", "user.name", "https://x.test/", "ip_address"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into the data, to pick one to break."""
    children = node.items() if isinstance(node, dict) else enumerate(node)
    found = []
    for key, child in children:
        found.append((*prefix, key))
        if isinstance(child, dict | list):
            found.extend(_paths(child, (*prefix, key)))
    return found


ALL_PATHS = _paths(shipped_data())
SHIPPED_LINES = tuple(dump(shipped_data()).decode().splitlines())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=st.sampled_from(ALL_PATHS),
    drop=st.booleans(),
    value=yaml_values,
)
def test_a_mutated_policy_loads_or_raises_policy_file_error(
    path: tuple[Any, ...], drop: bool, value: Any
) -> None:
    """Drop a key (or list item), or replace a value with one of a random type, anywhere."""
    data = shipped_data()
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    if drop:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    assert_loads_or_explains(dump(data))


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_an_edited_policy_text_loads_or_raises_policy_file_error(data: st.DataObject) -> None:
    """Line-level edits: delete, duplicate or re-indent a line, or splice in random text."""
    lines = list(SHIPPED_LINES)
    i = data.draw(st.integers(0, len(lines) - 1))
    edit = data.draw(st.sampled_from(["delete", "duplicate", "indent", "dedent", "splice"]))
    if edit == "delete":
        del lines[i]
    elif edit == "duplicate":
        lines.insert(i, lines[i])
    elif edit == "indent":
        lines[i] = "  " + lines[i]
    elif edit == "dedent":
        lines[i] = lines[i].lstrip()
    else:
        lines[i] = lines[i][: len(lines[i]) // 2] + data.draw(st.text(max_size=10))
    assert_loads_or_explains("\n".join(lines).encode("utf-8", "surrogatepass"))
