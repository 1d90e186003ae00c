"""The HTML check refuses anything but formatting and links, and never crashes (R40)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tutela.campaigns.html import html_problems

GOOD = (
    '<h1>Spring</h1><p style="color:#333">Our <strong>new</strong> range, <em>now</em>.</p>'
    '<p><a href="https://c-mes.co.uk/spring" title="Spring">See it</a> or '
    '<a href="mailto:sales@c-mes.co.uk">write</a>.</p>'
    '<img src="https://c-mes.co.uk/banner.png" alt="" width="600">'
    "<table><tr><td>A</td></tr></table><ul><li>One</li></ul><br><hr>"
)


def test_formatting_and_links_pass() -> None:
    assert html_problems(GOOD) == []


def test_each_problem_names_the_line() -> None:
    problems = html_problems("<p>fine</p>\n<script>x</script>\n<p onclick='x'>y</p>")
    assert problems[0].startswith("Line 2: <script>")
    assert problems[1].startswith("Line 3: <p onclick>")


def test_svg_base_meta_object_and_style_elements_are_refused() -> None:
    for tag in ("svg", "base", "meta", "object", "embed", "style", "link", "math"):
        assert html_problems(f"<{tag}></{tag}>"), tag


@given(st.text(max_size=300))
def test_any_text_gets_a_list_never_an_exception(text: str) -> None:
    assert isinstance(html_problems(text), list)


@given(st.text(alphabet=st.characters(blacklist_characters="<>&"), max_size=200))
def test_text_without_markup_passes_unless_it_has_control_characters(text: str) -> None:
    problems = html_problems(text)
    assert not problems or "control characters" in problems[0]


@given(st.sampled_from(["script", "SCRIPT", "ScRiPt"]), st.text(max_size=50))
def test_a_script_tag_is_refused_whatever_its_case_and_content(tag: str, body: str) -> None:
    assert html_problems(f"<p>x</p><{tag}>{body}</{tag}>")
