"""pytest fixtures that run the local CVAT-compatible server.

Import them into a ``conftest.py``::

    from labelloop.testing.fixtures import cvat_server, cvat_server_fresh  # noqa: F401

``cvat_server`` (session scope) starts one server process on a free loopback
port for the whole test session and yields a
:class:`~labelloop.testing.cvat_server.LocalCVATServer` (``url``,
``username``, ``password``, ``admin_token``, ``create_user()``,
``inject_fault()``/``fault()``, ...). Tests share its state; use
``with cvat_server.fault(...):`` so a fault ends with the block.
``cvat_server_fresh`` (function scope) is the same server wiped to an empty
state (only the administrator left, no faults, no body limit) before the test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from labelloop.testing.cvat_server import LocalCVATServer

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "admin-password"


@pytest.fixture(scope="session")
def cvat_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCVATServer]:
    """One server process for the session, in a temporary data directory."""
    data_dir = tmp_path_factory.mktemp("cvat-server")
    with LocalCVATServer(data_dir, username=ADMIN_USERNAME, password=ADMIN_PASSWORD) as server:
        yield server


@pytest.fixture
def cvat_server_fresh(cvat_server: LocalCVATServer) -> Iterator[LocalCVATServer]:
    """The session's server, emptied before the test."""
    cvat_server.reset()
    yield cvat_server
    cvat_server.clear_faults()
    cvat_server.set_max_body_size(None)
