"""``labelloop cvat import``: bring image tasks made directly in CVAT into a dataset."""

from __future__ import annotations

from typing import Any

import click

from labelloop.cli.common import open_dataset, server_kwargs, server_options, split_values
from labelloop.cli.errors import CLIError
from labelloop.cli.output import console, setup_logging, table


@click.group("cvat")
def cvat() -> None:
    """Work that lives in CVAT."""


def _label_counts(dataset: Any) -> dict[str, int]:
    counts = {}
    for name, spec in dataset.get_field_schema().items():
        if spec.get("kind") == "label":
            counts[name] = dataset.count(name)
    return counts


@cvat.command("import")
@click.argument("dataset_name")
@click.option(
    "--task-ids", "task_ids", multiple=True, help="Task id(s) (repeat or comma-separate)."
)
@click.option("--project-name", help="Import every task of this project.")
@click.option("--project-id", type=int, help="Import every task of this project.")
@click.option(
    "--data-path",
    help="Directory where the media is (searched recursively), or a JSON file {cvat name: path}.",
)
@click.option(
    "--download-media", is_flag=True, help="Download media not found locally into --data-path."
)
@click.option(
    "--label-types",
    multiple=True,
    help="Only these kinds: classifications, detections, polylines, keypoints.",
)
@click.option("--skip-new", is_flag=True, help="Don't add samples for media not in the dataset.")
@click.option("--occluded-attr", help="Attribute that receives CVAT's occluded flag.")
@click.option("--group-id-attr", help="Attribute that receives CVAT's group number.")
@click.option(
    "--create", is_flag=True, help="Create DATASET_NAME (persistent) if it does not exist."
)
@server_options
@click.pass_context
def import_cmd(ctx: click.Context, dataset_name: str, **opts: Any) -> None:
    """Import the labels (and media) of CVAT tasks into DATASET_NAME.

    Give exactly one of --task-ids, --project-name or --project-id.
    """
    import labelloop
    from labelloop.utils.cvat import import_annotations

    setup_logging(ctx)
    task_ids = [int(t) for t in split_values(opts["task_ids"]) or []] if opts["task_ids"] else None
    chosen = [v is not None for v in (task_ids, opts["project_name"], opts["project_id"])]
    if sum(chosen) != 1:
        raise CLIError("give exactly one of --task-ids, --project-name or --project-id")
    if opts["download_media"] and not opts["data_path"]:
        raise CLIError("--download-media needs --data-path DIR to write the media to")
    if not labelloop.dataset_exists(dataset_name):
        if not opts["create"]:
            raise CLIError(
                f"no dataset named {dataset_name!r}; pass --create to create it and import into it"
            )
        dataset = labelloop.Dataset(dataset_name, persistent=True)
        console.print(f"Created dataset {dataset_name!r}.")
    else:
        dataset = open_dataset(dataset_name)
    samples_before, labels_before = len(dataset), _label_counts(dataset)
    import_annotations(
        dataset,
        project_name=opts["project_name"],
        project_id=opts["project_id"],
        task_ids=task_ids,
        data_path=opts["data_path"],
        label_types=split_values(opts["label_types"]),
        insert_new=not opts["skip_new"],
        download_media=opts["download_media"],
        occluded_attr=opts["occluded_attr"],
        group_id_attr=opts["group_id_attr"],
        **server_kwargs(
            url=opts["url"],
            username=opts["username"],
            password=opts["password"],
            token=opts["token"],
            organization=opts["organization"],
        ),
    )
    labels_after = _label_counts(dataset)
    rows = [("samples", samples_before, len(dataset))]
    rows += [(f, labels_before.get(f, 0), n) for f, n in sorted(labels_after.items())]
    console.print(table(f"Imported into {dataset_name!r}", ("", "before", "after"), rows))
