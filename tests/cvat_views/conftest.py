"""Fixtures of the derived-view annotation tests: the local CVAT-compatible server."""

from __future__ import annotations

from labelloop.testing.fixtures import cvat_server, cvat_server_fresh  # noqa: F401
