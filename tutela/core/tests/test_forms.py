"""A service's ValidationError lands on the form where a person can see it (R40)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from tutela.core.forms import form_add_service_errors


class _TitleForm(forms.Form):
    title = forms.CharField()


def test_errors_go_on_the_named_field_or_above_the_form() -> None:
    form = _TitleForm(data={"title": "x"})
    assert form.is_valid()
    form_add_service_errors(
        form, ValidationError({"title": "Too short.", "closes_at": "Must be in the future."})
    )
    assert form.errors == {"title": ["Too short."], "__all__": ["Must be in the future."]}


def test_an_error_without_a_field_goes_above_the_form() -> None:
    form = _TitleForm(data={"title": "x"})
    assert form.is_valid()
    form_add_service_errors(form, ValidationError("Nothing to correct.", code="unchanged"))
    assert form.non_field_errors() == ["Nothing to correct."]
