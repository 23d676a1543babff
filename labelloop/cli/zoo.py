"""``labelloop zoo``: ready-made datasets."""

from __future__ import annotations

import click

from labelloop.cli.output import console, setup_logging, table


@click.group("zoo")
def zoo() -> None:
    """Ready-made datasets (quickstart ones are generated offline)."""


@zoo.command("list")
@click.pass_context
def list_cmd(ctx: click.Context) -> None:
    """List the zoo's datasets."""
    import labelloop.zoo as foz

    setup_logging(ctx)
    rows = []
    for name in foz.list_zoo_datasets():
        source = foz.get_zoo_dataset(name)
        rows.append((name, ", ".join(source.splits) or "-", source.description))
    console.print(table(None, ("name", "splits", "description"), rows))


@zoo.command("load")
@click.argument("name")
@click.option("--split", "splits", multiple=True, help="Split(s) to load (repeatable).")
@click.option("--max-samples", type=click.IntRange(min=0), help="Load at most this many samples.")
@click.option("--dataset-name", help="Name of the new dataset (default: derived from NAME).")
@click.option(
    "--persistent/--temporary",
    default=True,
    show_default=True,
    help="Keep the dataset after the command ends.",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing dataset of that name.")
@click.pass_context
def load(
    ctx: click.Context,
    name: str,
    splits: tuple[str, ...],
    max_samples: int | None,
    dataset_name: str | None,
    persistent: bool,
    overwrite: bool,
) -> None:
    """Load zoo dataset NAME into a stored dataset."""
    import labelloop.zoo as foz

    setup_logging(ctx)
    with console.status(f"Loading {name}..."):
        dataset = foz.load_zoo_dataset(
            name,
            splits=list(splits) or None,
            max_samples=max_samples,
            dataset_name=dataset_name,
            drop_existing_dataset=overwrite,
            persistent=persistent,
        )
    if persistent and not dataset.persistent:
        dataset.persistent = True
    console.print(f"Dataset {dataset.name!r}: {len(dataset)} samples.")
