"""The ``cvat-server`` command: run the local CVAT-compatible server.

Registered as ``labelloop cvat-server`` and run by ``python -m
labelloop.testing.cvat_server``. Only click is imported here; the server
(the ``server`` extra: starlette, uvicorn) is imported when the command runs,
so the rest of the CLI works without it.
"""

from __future__ import annotations

import logging
from pathlib import Path

import click

from labelloop.testing.cvat_server.defaults import DEFAULT_VERSION, PASSWORD_ENV


@click.command("cvat-server")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to bind (loopback by default).",
)
@click.option(
    "--port",
    default=8080,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port; 0 picks a free one.",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("cvat-server-data"),
    show_default=True,
    help="Where the SQLite database and uploaded media live; reused across restarts.",
)
@click.option(
    "--username", default="admin", show_default=True, help="Administrator created on first start."
)
@click.option(
    "--password",
    default="admin",
    show_default=True,
    envvar=PASSWORD_ENV,
    help=f"Administrator password (or ${PASSWORD_ENV}).",
)
@click.option(
    "--version",
    "version",
    default=DEFAULT_VERSION,
    show_default=True,
    help="CVAT version to report.",
)
@click.option(
    "--max-body-size",
    type=click.IntRange(min=0),
    default=None,
    help="Refuse request bodies over this many bytes with 413 (default: no limit).",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"]),
)
def cvat_server(
    host: str,
    port: int,
    data_dir: Path,
    username: str,
    password: str,
    version: str,
    max_body_size: int | None,
    log_level: str,
) -> None:
    """Run a local CVAT-compatible server (for tests, CI and offline trials)."""
    try:
        from labelloop.testing.cvat_server.server import serve
        from labelloop.testing.cvat_server.state import ServerConfig
    except ImportError as exc:
        raise click.ClickException(
            f"the local CVAT server needs the 'server' extra ({exc}); "
            "install it with: pip install 'labelloop[server]'"
        ) from exc
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if host not in ("127.0.0.1", "localhost", "::1"):
        logging.getLogger(__name__).warning(
            "binding to %s: the server is reachable from other machines", host
        )
    config = ServerConfig(
        data_dir=data_dir.resolve(),
        username=username,
        password=password,
        version=version,
        max_body_size=max_body_size,
    )
    serve(config, host=host, port=port, log_level="warning" if log_level != "debug" else "debug")
