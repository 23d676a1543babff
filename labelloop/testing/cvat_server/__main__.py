"""``python -m labelloop.testing.cvat_server``: the ``cvat-server`` command on its own."""

from labelloop.cli.cvat_server import cvat_server

cvat_server()
