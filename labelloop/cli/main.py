"""Root command group: the subcommands live in sibling modules and are added here, plus
the commands other packages declare under the ``labelloop.commands`` entry point."""

from __future__ import annotations

from importlib.metadata import entry_points

import click

from labelloop.cli.annotate import annotate
from labelloop.cli.app import app
from labelloop.cli.config import config
from labelloop.cli.cvat_import import cvat
from labelloop.cli.datasets import datasets
from labelloop.cli.errors import LabelloopGroup
from labelloop.cli.runs import runs
from labelloop.cli.zoo import zoo


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


for _command in (annotate, app, config, cvat, datasets, runs, zoo):
    cli.add_command(_command)
# Commands that live outside the library (the local CVAT-compatible server and the demo
# that runs on it, in labelloop.testing) plug in by entry point: the CLI never imports them.
for _plugin in entry_points(group="labelloop.commands"):
    cli.add_command(_plugin.load(), _plugin.name)


def main() -> None:
    """Console-script entry point."""
    cli()
