"""Fixtures that several test directories' conftests share: the emptied server, fast retries.

Import them into a ``conftest.py`` (``from tests.server_fixtures import emptied_server``, the fixture ``server``) and call
:func:`use_fast_retries` from an autouse fixture with the directory's own bounds.
"""

from __future__ import annotations

import functools

import pytest

from labelloop.cvat import client as cvat_client
from labelloop.testing.fixtures import cvat_server, cvat_server_fresh  # noqa: F401


def use_fast_retries(monkeypatch: pytest.MonkeyPatch, max_attempts: int, max_total: float) -> None:
    """Small backoffs, so injected or transient faults cost milliseconds; attempts and total
    time stay bounded as given."""
    policy = functools.partial(
        cvat_client.RetryPolicy,
        max_attempts=max_attempts,
        backoff=0.02,
        max_delay=0.2,
        max_total=max_total,
    )
    monkeypatch.setattr(cvat_client, "RetryPolicy", policy)


@pytest.fixture(name="server")
def emptied_server(cvat_server_fresh):  # noqa: F811
    """The session's server, emptied before the test; faults cleared after."""
    return cvat_server_fresh
