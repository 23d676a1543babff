"""``labelloop app DATASET``: open the App on a stored dataset and serve until closed.

The App's server needs starlette and uvicorn (the ``app`` extra); they are
imported only when the command runs.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import click

from labelloop.cli.output import setup_logging


@click.command("app")
@click.argument("dataset_name")
@click.option("--port", default=5151, show_default=True, type=click.IntRange(0, 65535),
              help="Port; 0 picks a free one.")  # fmt: skip
@click.option("--address", default="localhost", show_default=True,
              help="Interface to bind (loopback by default).")  # fmt: skip
@click.option("--remote", is_flag=True,
              help="Don't open a browser; print how to forward the port from your machine.")  # fmt: skip
@click.option("--no-browser", is_flag=True, help="Don't open a browser.")
@click.pass_context
def app(
    ctx: click.Context, dataset_name: str, port: int, address: str, remote: bool, no_browser: bool
) -> None:
    """Open the App on stored dataset DATASET_NAME; Ctrl-C stops it."""
    import labelloop

    # warnings only (-v for INFO): no line per request to CVAT, one start-up line below
    setup_logging(ctx)
    if not labelloop.dataset_exists(dataset_name):
        known = ", ".join(labelloop.list_datasets()) or "none"
        raise click.ClickException(f"no dataset named {dataset_name!r} (stored datasets: {known})")
    try:
        session = labelloop.launch_app(
            labelloop.load_dataset(dataset_name),
            port=port,
            address=address,
            remote=remote,
            auto=not (remote or no_browser),
        )
    except ImportError as exc:
        raise click.ClickException(
            f"the App needs the 'app' extra ({exc}); install it with: pip install 'labelloop[app]'"
        ) from exc
    except OSError as exc:
        raise click.ClickException(str(exc)) from exc
    if address not in ("localhost", "127.0.0.1", "::1"):
        logging.getLogger(__name__).warning(
            "binding to %s: the App is reachable from other machines", address
        )
    click.echo(f"App running at {session.url} (Ctrl-C to stop)", err=False)
    if remote:
        port = urlsplit(session.url).port
        click.echo(
            f"Remote session: on your machine run `ssh -N -L {port}:127.0.0.1:{port} "
            f"<user>@<host>` and open http://localhost:{port}"
        )
    try:
        session.wait(-1)
    finally:
        session.close()
