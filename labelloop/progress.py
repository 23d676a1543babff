"""Progress bars: the one place labelloop draws them (tqdm), quiet when not on a terminal.

Every long loop of the library (uploads, downloads, merges, media checks,
adding samples) goes through :func:`bar`, so bars look the same everywhere and
a log file or a pipe gets no carriage-return clutter: when stderr is not a
terminal the bar is not drawn at all.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any, TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")


def on_terminal() -> bool:
    """Whether bars can be drawn: stderr is a terminal, or a notebook kernel shows widgets."""
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    if type(shell).__name__ == "ZMQInteractiveShell":
        return True
    stream = sys.stderr
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):
        return False


def bar(
    iterable: Iterable[T] | None = None,
    *,
    total: int | None = None,
    desc: str | None = None,
    unit: str = "it",
    show: bool | None = None,
    **kwargs: Any,
) -> Any:
    """A tqdm bar over ``iterable`` (or a manual one with ``total``).

    ``show=None`` draws it when stderr is a terminal; ``show=False`` never
    draws it; ``show=True`` draws it only on a terminal as well (a pipe or a
    log file never gets one). The bar always shows the total when it is known.
    """
    if total is None and iterable is not None:
        try:
            total = len(iterable)  # type: ignore[arg-type]
        except TypeError:
            total = None
    enabled = show is not False and on_terminal()
    return tqdm(
        iterable,
        total=total,
        desc=desc,
        unit=unit,
        disable=not enabled,
        dynamic_ncols=True,
        **kwargs,
    )
