"""Fixtures of the import tests: the local CVAT-compatible server."""

from labelloop.testing.fixtures import cvat_server, cvat_server_fresh  # noqa: F401
