"""Root command group; subcommands live in sibling modules and register here."""

from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="labelloop")
def cli() -> None:
    """labelloop: datasets, labels and the annotation loop with CVAT."""


def main() -> None:
    """Console-script entry point."""
    cli()


import labelloop.cli.app  # noqa: E402,F401  (registers `app`)
import labelloop.cli.cvat_server  # noqa: E402,F401  (registers `cvat-server`)
