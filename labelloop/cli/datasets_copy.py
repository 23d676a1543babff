"""``labelloop datasets copy NAME --to URI``: move a dataset with its runs to another database."""

from __future__ import annotations

import click

from labelloop.cli.errors import SERVER_ERROR, CLIError
from labelloop.cli.output import console, setup_logging


@click.command("copy")
@click.argument("name")
@click.option(
    "--to",
    "to_uri",
    required=True,
    metavar="URI",
    help="Destination database: postgresql://user:password@host:port/db or sqlite:///path.",
)
@click.option(
    "--from",
    "from_uri",
    metavar="URI",
    help="Source database (default: LABELLOOP_DATABASE_URI, else the local SQLite file).",
)
@click.option("--name", "new_name", help="Name of the copy (default: NAME).")
@click.pass_context
def copy_cmd(
    ctx: click.Context, name: str, to_uri: str, from_uri: str | None, new_name: str | None
) -> None:
    """Copy dataset NAME with its samples, labels and runs into the database at URI."""
    from labelloop.store.transfer import copy_dataset
    from labelloop.store.uri import redact_uri

    setup_logging(ctx)
    try:
        target = copy_dataset(name, to_uri, from_uri=from_uri, new_name=new_name)
    except ConnectionError as err:
        raise CLIError(
            f"{err} (check the URI and that the server is running)", SERVER_ERROR
        ) from None
    console.print(f"Copied dataset {name!r} to {redact_uri(to_uri)} as {target!r}")
