"""A CVAT-compatible REST server for tests, CI and offline trials.

It speaks the subset of CVAT 2.73's REST API that annotation clients use
(auth, users, organizations, projects, labels, tasks with media upload and
background processing, jobs, annotations) over a SQLite database and media
files in one data directory. It stands apart from the library: nothing in
``labelloop`` imports it and it imports nothing of ``labelloop`` outside
``labelloop.testing``. See docs/local-cvat-server.md.

The names below load on first use, so importing the command line (which only
needs click) does not import starlette or uvicorn.
"""

from __future__ import annotations

from typing import Any

from labelloop.testing.cvat_server.defaults import DEFAULT_VERSION

__all__ = ["DEFAULT_VERSION", "LocalCVATServer", "ServerConfig", "create_app", "serve"]

_LAZY = {
    "LocalCVATServer": "labelloop.testing.cvat_server.server",
    "serve": "labelloop.testing.cvat_server.server",
    "ServerConfig": "labelloop.testing.cvat_server.state",
    "create_app": "labelloop.testing.cvat_server.app",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
