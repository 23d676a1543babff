"""The ``labelloop`` command line: thin commands over the public API."""

from labelloop.cli.main import main

__all__ = ["main"]
