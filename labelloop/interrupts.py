"""Ctrl-C held back for the few steps that must not be cut in half.

Creating a server object and recording its id, or recording a finished run,
are each one step: a ``KeyboardInterrupt`` between the request and the
bookkeeping would leave a task on the server that nothing knows to delete.
:func:`deferred_interrupt` delays a first Ctrl-C until the block ends (then
raises it as usual); a second Ctrl-C interrupts at once.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

logger = logging.getLogger(__name__)


@contextmanager
def deferred_interrupt(what: str = "the current step") -> Iterator[None]:
    """Run the block with SIGINT deferred to its end (main thread only; elsewhere a no-op,
    as Python delivers signals to the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def hold(signum: int, frame: Any) -> None:
        if received:
            raise KeyboardInterrupt
        received.append(signum)
        logger.warning(
            "Interrupted: finishing %s first so it can be undone (Ctrl-C again to stop now)",
            what,
        )

    try:
        previous = signal.signal(signal.SIGINT, hold)
    except ValueError:  # no signal handling here (e.g. an embedded interpreter)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received:
            if callable(previous):
                previous(signal.SIGINT, None)
            elif previous != signal.SIG_IGN:
                raise KeyboardInterrupt
