"""Root command group; subcommands live in sibling modules and register here."""

from __future__ import annotations

import click

from labelloop.cli.errors import LabelloopGroup


@click.group(cls=LabelloopGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="labelloop")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logging.")
@click.option("-v", "--verbose", is_flag=True, help="Show the library's INFO logging.")
@click.pass_context
def cli(ctx: click.Context, debug: bool, verbose: bool) -> None:
    """labelloop: datasets, labels and the annotation loop with CVAT.

    Exit codes: 0 success, 1 user error, 2 server or network error.
    """
    ctx.obj = {"debug": debug, "verbose": verbose}


def main() -> None:
    """Console-script entry point."""
    cli()


import labelloop.cli.annotate  # noqa: E402,F401  (registers `annotate`)
import labelloop.cli.app  # noqa: E402,F401  (registers `app`)
import labelloop.cli.config  # noqa: E402,F401  (registers `config show|set`)
import labelloop.cli.cvat_import  # noqa: E402,F401  (registers `cvat import`)
import labelloop.cli.cvat_server  # noqa: E402,F401  (registers `cvat-server`)
import labelloop.cli.datasets  # noqa: E402,F401  (registers `datasets ...`)
import labelloop.cli.datasets_copy  # noqa: E402,F401  (registers `datasets copy`)
import labelloop.cli.demo  # noqa: E402,F401  (registers `demo`)
import labelloop.cli.runs  # noqa: E402,F401  (registers `runs ...`)
import labelloop.cli.zoo  # noqa: E402,F401  (registers `zoo list|load`)
