"""Form helpers every app's views use."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


def form_add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: each message on the field it names when
    the form has that field, otherwise above the form.

    Django's own `form.add_error(None, exc)` raises when the service names a model field the
    form does not show; a service validates the whole row, so that can happen.
    """
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)
