"""Fixtures for the visits tests: an empty in-memory tally, and a way to write it at will."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tutela.visits.recorder import recorder


@pytest.fixture(autouse=True)
def _empty_recorder() -> Iterator[None]:
    """Other tests' requests were counted in this process too; start and end with none."""
    recorder.discard()
    yield
    recorder.discard()


@pytest.fixture
def write_every_request(settings: object) -> None:
    """Write counted visits at the end of every request, as a quiet production site would."""
    settings.TUTELA_VISITS_FLUSH_SECONDS = 0  # type: ignore[attr-defined]
