"""Fixtures of the merge-safety tests: the CVAT server (local double unless real CVAT is
configured), fast retries."""

from __future__ import annotations

import functools

import pytest

from labelloop.cvat import client as cvat_client
from labelloop.testing.fixtures import cvat_server, cvat_server_fresh  # noqa: F401


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    """Small backoffs so injected 5xx cost milliseconds."""
    policy = functools.partial(
        cvat_client.RetryPolicy, max_attempts=3, backoff=0.02, max_delay=0.2, max_total=5.0
    )
    monkeypatch.setattr(cvat_client, "RetryPolicy", policy)


@pytest.fixture
def server(cvat_server_fresh):  # noqa: F811
    """The session's server, emptied before the test; faults cleared after."""
    return cvat_server_fresh
