"""Ctrl-C while labelloop is still being imported: one line, not a traceback.

The command line spends its first second importing; an interrupt then would
print a traceback of import machinery. Importing this module (the package's
first import) installs an ``excepthook`` that prints ``Interrupted.`` for a
``KeyboardInterrupt`` instead (once, then it removes itself). :func:`loaded`
removes it when the package finished loading, except in the command line,
whose own Ctrl-C handling starts only once its commands are loaded. There an
interrupt landing in a callback Python cannot raise from (an import lock's or a
weakref's) is not printed as "Exception ignored" either.
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


_previous_unraisable = sys.unraisablehook


def _quiet_unraisable(unraisable: sys.UnraisableHookArgs) -> None:
    """A Ctrl-C landing in a callback Python cannot raise from (a weakref or import-lock
    callback) is the interrupt already being handled: not an "Exception ignored" trace."""
    if not isinstance(unraisable.exc_value, KeyboardInterrupt):
        _previous_unraisable(unraisable)


def _command_line() -> bool:
    """``python -m labelloop`` (argv[0] is ``-m`` while loading) or the console script."""
    argv0 = sys.argv[0] if sys.argv else ""
    return argv0 == "-m" or argv0.endswith(("labelloop", "labelloop-script.py"))


def loaded() -> None:
    """The package is imported: scripts and notebooks get their own handling back."""
    if not _command_line():
        if sys.excepthook is _interrupted_while_loading:
            sys.excepthook = _previous
        if sys.unraisablehook is _quiet_unraisable:
            sys.unraisablehook = _previous_unraisable


sys.excepthook = _interrupted_while_loading
sys.unraisablehook = _quiet_unraisable
