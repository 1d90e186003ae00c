"""WSGI/ASGI servers refuse to start on a configuration the system checks reject (gunicorn
does not run them itself)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from config.startup import refuse_unsafe_start


@pytest.mark.django_db
def test_a_sound_configuration_starts() -> None:
    refuse_unsafe_start()


@pytest.mark.django_db
def test_a_broken_policy_file_stops_the_server_with_the_reason(tmp_path: Path) -> None:
    broken = tmp_path / "policy.yaml"
    broken.write_text("version: 1\ncontroller: [not, a, mapping]\n", encoding="utf-8")
    with (
        override_settings(TUTELA_POLICY_FILE=broken),
        pytest.raises(ImproperlyConfigured, match=r"refuses to start:\n.*policy\.E001"),
    ):
        refuse_unsafe_start()
