"""Terminal output shared by the commands: one rich console, logging through rich."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import click
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

#: Width when output goes to a file or pipe: wide enough that links and ids are never cut.
PIPE_WIDTH = 200


def _pipe_width() -> int | None:
    """``None`` (the terminal's width) on a terminal, else ``$COLUMNS`` or :data:`PIPE_WIDTH`."""
    if sys.stdout is not None and sys.stdout.isatty():
        return None
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() else PIPE_WIDTH


console = Console(highlight=False, soft_wrap=True, width=_pipe_width())
err_console = Console(stderr=True, highlight=False)

_QUIET_LOGGERS = ("httpx", "httpcore")


def setup_logging(ctx: click.Context | None = None) -> None:
    """Send library logging to stderr through rich: warnings by default, INFO with
    ``labelloop -v``, DEBUG with ``--debug``."""
    obj = (ctx.find_root().obj if ctx is not None else None) or {}
    level = (
        logging.DEBUG
        if obj.get("debug")
        else logging.INFO
        if obj.get("verbose")
        else logging.WARNING
    )
    root = logging.getLogger()
    if not any(isinstance(h, RichHandler) for h in root.handlers):
        handler = RichHandler(console=err_console, show_time=False, show_path=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
        root.addHandler(handler)
    root.setLevel(level)
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if obj.get("debug") else logging.WARNING)


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    """A rich table of ``rows`` (values shown with ``str``, ``None`` as ``-``)."""
    out = Table(title=title, title_justify="left")
    for name in columns:
        out.add_column(name, overflow="fold")
    for row in rows:
        out.add_row(*("-" if v is None else str(v) for v in row))
    return out
