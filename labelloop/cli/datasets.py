"""``labelloop datasets``: list, inspect, create, export and delete stored datasets."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from labelloop.cli.common import open_dataset
from labelloop.cli.datasets_copy import copy_cmd
from labelloop.cli.errors import CLIError
from labelloop.cli.output import console, setup_logging, table


@click.group("datasets")
def datasets() -> None:
    """Stored datasets."""


datasets.add_command(copy_cmd)


@datasets.command("list")
@click.pass_context
def list_cmd(ctx: click.Context) -> None:
    """List stored datasets with their sample counts."""
    import labelloop

    setup_logging(ctx)
    rows = []
    for name in labelloop.list_datasets():
        dataset = labelloop.load_dataset(name)
        rows.append((name, dataset.media_type or "-", len(dataset), dataset.persistent))
    if not rows:
        console.print("No datasets. Create one with 'labelloop zoo load quickstart'.")
        return
    console.print(table(None, ("name", "media", "samples", "persistent"), rows))


def _type_name(cls: object) -> str | None:
    if cls is None or isinstance(cls, str):
        return cls
    return getattr(cls, "__name__", str(cls))


@datasets.command("info")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the information as JSON.")
@click.pass_context
def info(ctx: click.Context, name: str, as_json: bool) -> None:
    """Show a dataset's fields, tags and runs."""
    setup_logging(ctx)
    dataset = open_dataset(name)
    schema = dataset.get_field_schema()
    data = {
        "name": dataset.name,
        "media_type": dataset.media_type,
        "persistent": dataset.persistent,
        "created_at": str(dataset.created_at),
        "samples": len(dataset),
        "fields": {
            field: _type_name(spec.get("cls")) or spec.get("kind") for field, spec in schema.items()
        },
        "tags": dataset.count_values("tags"),
        "annotation_runs": dataset.list_annotation_runs(),
        "evaluations": dataset.list_evaluations(),
    }
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
        return
    for key in ("name", "media_type", "persistent", "created_at", "samples"):
        console.print(f"{key}: {data[key]}")
    console.print(table("fields", ("field", "type"), data["fields"].items()))
    if data["tags"]:
        console.print(table("tags", ("tag", "samples"), data["tags"].items()))
    console.print(f"annotation runs: {', '.join(data['annotation_runs']) or 'none'}")
    console.print(f"evaluations: {', '.join(data['evaluations']) or 'none'}")


@datasets.command("create")
@click.argument("name")
@click.option(
    "--from-dir",
    "from_dir",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Directory to read.",
)
@click.option("--type", "dataset_type", required=True, help="Dataset type, e.g. ImageDirectory.")
@click.option(
    "--persistent/--temporary",
    default=True,
    show_default=True,
    help="Keep the dataset after the command ends.",
)
@click.pass_context
def create(
    ctx: click.Context, name: str, from_dir: Path, dataset_type: str, persistent: bool
) -> None:
    """Create dataset NAME from a directory in a dataset format."""
    import labelloop

    setup_logging(ctx)
    if labelloop.dataset_exists(name):
        raise click.ClickException(
            f"a dataset named {name!r} exists; delete it with 'labelloop datasets delete {name}'"
        )
    dataset = labelloop.Dataset.from_dir(
        str(from_dir), dataset_type=dataset_type, name=name, persistent=persistent
    )
    console.print(f"Created dataset {dataset.name!r} with {len(dataset)} samples.")


@datasets.command("export")
@click.argument("name")
@click.option(
    "--export-dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write.",
)
@click.option(
    "--type", "dataset_type", required=True, help="Dataset type, e.g. COCODetectionDataset."
)
@click.option("--label-field", help="Label field to export.")
@click.pass_context
def export(
    ctx: click.Context, name: str, export_dir: Path, dataset_type: str, label_field: str | None
) -> None:
    """Write dataset NAME to a directory in a dataset format."""
    setup_logging(ctx)
    dataset = open_dataset(name)
    dataset.export(str(export_dir), dataset_type=dataset_type, label_field=label_field)
    console.print(f"Exported {len(dataset)} samples of {name!r} to {export_dir}.")


@datasets.command("delete")
@click.argument("names", nargs=-1, required=True)
@click.option("-y", "--yes", is_flag=True, help="Don't ask for confirmation.")
@click.pass_context
def delete(ctx: click.Context, names: tuple[str, ...], yes: bool) -> None:
    """Delete datasets (their labels and runs; media files stay on disk)."""
    setup_logging(ctx)
    found = [open_dataset(name) for name in names]
    if not yes:
        try:
            confirmed = click.confirm(f"Delete {', '.join(names)}?")
        except click.Abort:
            if sys.stdin and sys.stdin.isatty():
                raise
            raise CLIError(
                "nothing deleted: no terminal to confirm on (stdin gave no answer); pass --yes "
                "to delete without asking"
            ) from None
        if not confirmed:
            raise CLIError("nothing deleted (the answer was no)")
    for dataset in found:
        dataset.delete()
        console.print(f"Deleted dataset {dataset.name!r}.")
