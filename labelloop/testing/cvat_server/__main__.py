"""``python -m labelloop.testing.cvat_server``: the ``cvat-server`` command on its own."""

from labelloop.testing.cvat_server.command import cvat_server

cvat_server()
