"""pytest fixtures that give tests a CVAT server: the local one, or a real one.

Import them into a ``conftest.py``::

    from labelloop.testing.fixtures import cvat_server, cvat_server_fresh  # noqa: F401

``cvat_server`` (session scope) starts one local CVAT-compatible server on a
free loopback port for the whole test session and yields a
:class:`~labelloop.testing.cvat_server.LocalCVATServer` (``url``,
``username``, ``password``, ``admin_token``, ``create_user()``,
``inject_fault()``/``fault()``, ...). Tests share its state; use
``with cvat_server.fault(...):`` so a fault ends with the block.
``cvat_server_fresh`` (function scope) is the same server wiped to an empty
state (only the administrator left, no faults, no body limit) before the test.

When ``LABELLOOP_TEST_CVAT_URL`` (with ``LABELLOOP_TEST_CVAT_USERNAME`` and
``LABELLOOP_TEST_CVAT_PASSWORD``, a superuser) names a running CVAT, both
fixtures yield a :class:`~labelloop.testing.remote_cvat.RemoteCVAT` for it
instead, and tests marked ``local_cvat_only`` (fault injection, body limits,
the local server's internals) are skipped: register the marker and call
:func:`skip_local_only` from ``pytest_runtest_setup``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from labelloop.testing import remote_cvat
from labelloop.testing.cvat_server import LocalCVATServer

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "admin-password"
#: The marker of tests that need the local server (fault injection, its internals).
LOCAL_ONLY_MARKER = "local_cvat_only"


def on_real_cvat() -> bool:
    """Whether this session's CVAT tests run against a server named by the environment."""
    import os

    return bool(os.environ.get(remote_cvat.URL_ENV))


def skip_local_only(item: pytest.Item) -> None:
    """Skip ``item`` if it is marked ``local_cvat_only`` and the session runs on a real CVAT."""
    marker = item.get_closest_marker(LOCAL_ONLY_MARKER)
    if marker is not None and on_real_cvat():
        reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
        pytest.skip(
            f"needs the local CVAT-compatible server ({reason or 'its test-only controls'}); "
            f"{remote_cvat.URL_ENV} names another CVAT"
        )


@pytest.fixture(scope="session")
def cvat_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One server for the session: the CVAT of ``LABELLOOP_TEST_CVAT_*`` or a local process."""
    remote = remote_cvat.from_environment()
    if remote is not None:
        yield remote
        remote.reset()
        return
    data_dir = tmp_path_factory.mktemp("cvat-server")
    with LocalCVATServer(data_dir, username=ADMIN_USERNAME, password=ADMIN_PASSWORD) as server:
        yield server


@pytest.fixture
def cvat_server_fresh(cvat_server: Any) -> Iterator[Any]:
    """The session's server, emptied before the test."""
    cvat_server.reset()
    yield cvat_server
    if isinstance(cvat_server, LocalCVATServer):
        cvat_server.clear_faults()
        cvat_server.set_max_body_size(None)
