"""Fixtures of the merge-safety tests: the CVAT server (local double unless real CVAT is
configured), fast retries."""

from __future__ import annotations

import pytest

from tests.server_fixtures import (  # noqa: F401
    cvat_server,
    cvat_server_fresh,
    emptied_server,
    use_fast_retries,
)


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    """Small backoffs so injected 5xx cost milliseconds."""
    use_fast_retries(monkeypatch, max_attempts=3, max_total=5.0)
