"""Fixtures of the fault catalogue: the local CVAT server, fast retries, a secrets watch."""

from __future__ import annotations

import logging

import pytest

from labelloop.testing.fixtures import ADMIN_PASSWORD
from tests.server_fixtures import (  # noqa: F401
    cvat_server,
    cvat_server_fresh,
    emptied_server,
    use_fast_retries,
)

#: secret values no log record of the catalogue may contain (tests add theirs)
SECRETS: set[str] = {ADMIN_PASSWORD}


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text += " " + repr(record.exc_info[1])
        self.messages.append(text)


@pytest.fixture(autouse=True)
def no_secret_in_logs(request):
    """Every test runs with the root logger at DEBUG; no record may hold a secret."""
    root = logging.getLogger()
    handler = _Records()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    secrets = set(SECRETS)
    funcargs = getattr(request.node, "funcargs", None) or {}  # None after a Ctrl-C
    server = funcargs.get("cvat_server")  # set up after this fixture, if used
    if server is not None:
        secrets.add(server.admin_token)
    leaked = [m for m in handler.messages for s in secrets if s and s in m]
    assert not leaked, f"secret in log records: {leaked[:3]}"


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    """Small backoffs so transient faults cost milliseconds, still bounded in attempts/time."""
    use_fast_retries(monkeypatch, max_attempts=4, max_total=8.0)
