"""Helpers shared by the commands: opening datasets by name, server options, JSON arguments."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click

from labelloop.cli.errors import CLIError


def open_dataset(name: str) -> Any:
    """The stored dataset ``name``, or a one-line error listing the stored ones."""
    import labelloop

    if not labelloop.dataset_exists(name):
        known = ", ".join(labelloop.list_datasets()) or "none"
        raise CLIError(f"no dataset named {name!r} (stored datasets: {known})")
    return labelloop.load_dataset(name)


def server_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--url/--username/--password/--token/--organization``; unset ones come from
    the environment (``LABELLOOP_CVAT_*``) or the annotation config file."""
    options = [
        click.option("--url", help="CVAT server URL (default: LABELLOOP_CVAT_URL or the config)."),
        click.option("--username", help="CVAT username (default: LABELLOOP_CVAT_USERNAME)."),
        click.option(
            "--password",
            help="CVAT password (prefer LABELLOOP_CVAT_PASSWORD: options show in process lists).",
        ),
        click.option("--token", help="CVAT REST token (default: LABELLOOP_CVAT_TOKEN)."),
        click.option("--organization", help="CVAT organization slug."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def server_kwargs(**values: Any) -> dict[str, Any]:
    """The server options that were given (others stay to the environment/config)."""
    return {k: v for k, v in values.items() if v is not None}


def parse_json(option: str, text: str | None) -> Any:
    """``text`` decoded as JSON, or a one-line error naming ``option``."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError as err:
        raise CLIError(f"{option} must be JSON ({err}); got {text!r}") from None


def split_values(values: tuple[str, ...]) -> list[str] | None:
    """Repeated and comma-separated option values as one list (``None`` when absent)."""
    out = [v.strip() for value in values for v in value.split(",") if v.strip()]
    return out or None
