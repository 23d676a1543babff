"""Registers ``labelloop cvat-server`` (the command lives with the server in labelloop.testing)."""

from labelloop.cli.main import cli
from labelloop.testing.cvat_server.command import cvat_server

cli.add_command(cvat_server)
