"""Ctrl-C while labelloop is still being imported: one line, not a traceback.

The command line spends its first second importing; an interrupt then would
print a traceback of import machinery. Importing this module (the package's
first import) installs an ``excepthook`` that prints ``Interrupted.`` for a
``KeyboardInterrupt`` instead (once, then it removes itself). :func:`loaded`
removes it when the package finished loading, except in the command line,
whose own Ctrl-C handling starts only once its commands are loaded.
"""

from __future__ import annotations

import sys
from types import TracebackType

_previous = sys.excepthook


def _interrupted_while_loading(
    exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> None:
    sys.excepthook = _previous
    if issubclass(exc_type, KeyboardInterrupt):
        print("Interrupted.", file=sys.stderr)
    else:
        _previous(exc_type, exc, tb)


def _command_line() -> bool:
    """``python -m labelloop`` (argv[0] is ``-m`` while loading) or the console script."""
    argv0 = sys.argv[0] if sys.argv else ""
    return argv0 == "-m" or argv0.endswith(("labelloop", "labelloop-script.py"))


def loaded() -> None:
    """The package is imported: scripts and notebooks get their own handling back."""
    if sys.excepthook is _interrupted_while_loading and not _command_line():
        sys.excepthook = _previous


sys.excepthook = _interrupted_while_loading
