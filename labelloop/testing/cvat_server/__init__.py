"""A CVAT-compatible REST server for tests, CI and offline trials.

It speaks the subset of CVAT 2.73's REST API that annotation clients use
(auth, users, organizations, projects, labels, tasks with media upload and
background processing, jobs, annotations) over a SQLite database and media
files in one data directory. It stands apart from the library: nothing in
``labelloop`` imports it and it imports nothing of ``labelloop`` outside
``labelloop.testing``. See docs/local-cvat-server.md.
"""

from labelloop.testing.cvat_server.app import DEFAULT_VERSION, ServerConfig, create_app
from labelloop.testing.cvat_server.server import LocalCVATServer, serve

__all__ = ["DEFAULT_VERSION", "LocalCVATServer", "ServerConfig", "create_app", "serve"]
