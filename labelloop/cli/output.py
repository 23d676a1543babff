"""Terminal output shared by the commands: one rich console, logging through rich."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

import click
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

console = Console(highlight=False, soft_wrap=True)
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
        out.add_column(name)
    for row in rows:
        out.add_row(*("-" if v is None else str(v) for v in row))
    return out
