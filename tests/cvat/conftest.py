"""Fixtures of the CVAT client/backend tests."""

from __future__ import annotations

import pytest

from tests.cvat.flaky_server import FlakyServer


@pytest.fixture
def flaky():
    server = FlakyServer().start()
    server.add("/api/server/about", 200, {"version": "2.73.0", "name": "CVAT"})
    yield server
    server.stop()


from labelloop.testing.fixtures import cvat_server, cvat_server_fresh  # noqa: E402, F401
