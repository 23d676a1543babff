"""Defaults shared by the command line and the server (kept import-light)."""

DEFAULT_VERSION = "2.73.0"
PASSWORD_ENV = "LABELLOOP_CVAT_SERVER_PASSWORD"
READY_FILE = "server.json"
