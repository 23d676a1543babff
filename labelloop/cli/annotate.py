"""``labelloop annotate``: send a dataset (or a slice of it) and its labels to CVAT."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from labelloop.cli.common import (
    open_dataset,
    parse_json,
    server_kwargs,
    server_options,
    split_values,
)
from labelloop.cli.errors import CLIError
from labelloop.cli.output import console, setup_logging, table


def _attributes(text: str | None) -> Any:
    """``--attributes``: JSON (list, object, true/false); default: the library's default."""
    if text is None:
        return True
    return parse_json("--attributes", text)


def _schema(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as err:
        raise CLIError(f"--schema {path}: not valid JSON ({err})") from None
    if not isinstance(schema, dict):
        raise CLIError(f"--schema {path}: must hold a JSON object of field -> spec")
    return schema


@click.command("annotate")
@click.argument("dataset_name")
@click.argument("anno_key")
@click.option("--label-field", help="Field to annotate (or use --schema).")
@click.option("--label-type", help="Label type of a new field, e.g. detections, classification.")
@click.option("--classes", "classes", multiple=True, help="Class names (repeat or comma-separate).")
@click.option(
    "--attributes",
    help="JSON: a list of names, an object of specs, or true/false, e.g. '[\"iscrowd\"]'.",
)
@click.option(
    "--schema",
    "schema_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON file with a full label schema {field: {type, classes, attributes}}.",
)
@click.option("--match-tags", "tags", multiple=True, help="Only samples with one of these tags.")
@click.option("--take", type=click.IntRange(min=1), help="A random subset of N samples.")
@click.option("--seed", type=int, help="Random seed for --take.")
@click.option(
    "--map-labels",
    "label_map",
    multiple=True,
    help="OLD=NEW: send --label-field's class OLD as NEW (and write NEW back); repeatable.",
)
@click.option("--patches", "patches_field", help="One sample per object of this field.")
@click.option("--frames", "frames_view", is_flag=True, help="Video frames as images (written).")
@click.option("--fps", type=float, help="With --frames: keep frames at this rate.")
@click.option("--clips", "clips_field", help="One clip per segment of this frame/temporal field.")
@click.option("--backend", help="Annotation backend (default: the configured one, cvat).")
@click.option("--project-name", help="CVAT project to use or create.")
@click.option("--project-id", type=int, help="Existing CVAT project id.")
@click.option("--task-name", help="Task name (default: labelloop_<dataset>).")
@click.option("--task-size", type=click.IntRange(min=1), help="Maximum images per task.")
@click.option("--segment-size", type=click.IntRange(min=1), help="Images per job.")
@click.option("--task-assignee", help="Username to assign the tasks to.")
@click.option("--job-assignees", multiple=True, help="Usernames assigned to jobs round robin.")
@click.option("--image-quality", type=click.IntRange(1, 100), help="JPEG quality of CVAT chunks.")
@click.option("--insecure", is_flag=True, help="Don't verify the server's TLS certificate.")
@click.option(
    "--ca-bundle", type=click.Path(exists=True, dir_okay=False), help="CA bundle for TLS."
)
@click.option("--read-only-edits", is_flag=True, help="Refuse label, index and spatial edits.")
@click.option("--no-additions", is_flag=True, help="Refuse new labels.")
@click.option("--no-deletions", is_flag=True, help="Refuse deleted labels.")
@click.option("--launch-editor", is_flag=True, help="Open the first job in a browser.")
@server_options
@click.pass_context
def annotate(ctx: click.Context, dataset_name: str, anno_key: str, **opts: Any) -> None:
    """Create annotation run ANNO_KEY: upload DATASET_NAME's samples and labels to CVAT."""
    setup_logging(ctx)
    schema = _schema(opts["schema_file"])
    if schema is None and not opts["label_field"]:
        raise CLIError("give --label-field FIELD (or --schema FILE)")
    dataset = open_dataset(dataset_name)
    view: Any = dataset
    if opts["tags"]:
        view = view.match_tags(list(opts["tags"]))
    if opts["take"]:
        view = view.take(opts["take"], seed=opts["seed"])
    view = _derived_view(view, opts)
    kwargs = server_kwargs(
        url=opts["url"],
        username=opts["username"],
        password=opts["password"],
        token=opts["token"],
        organization=opts["organization"],
        backend=opts["backend"],
        project_name=opts["project_name"],
        project_id=opts["project_id"],
        task_name=opts["task_name"],
        task_size=opts["task_size"],
        segment_size=opts["segment_size"],
        task_assignee=opts["task_assignee"],
        job_assignees=list(opts["job_assignees"]) or None,
        image_quality=opts["image_quality"],
    )
    if opts["insecure"] or opts["ca_bundle"]:
        kwargs["verify"] = opts["ca_bundle"] or False
    read_only = opts["read_only_edits"]
    results = view.annotate(
        anno_key,
        label_schema=schema,
        label_field=None if schema else opts["label_field"],
        label_type=opts["label_type"],
        classes=split_values(opts["classes"]),
        attributes=_attributes(opts["attributes"]),
        allow_additions=not opts["no_additions"],
        allow_deletions=not opts["no_deletions"],
        allow_label_edits=not read_only,
        allow_index_edits=not read_only,
        allow_spatial_edits=not read_only,
        launch_editor=opts["launch_editor"],
        **kwargs,
    )
    console.print(f"Annotation run {anno_key!r} created on {dataset_name!r} ({len(view)} samples).")
    print_jobs(results)


def _derived_view(view: Any, opts: dict[str, Any]) -> Any:
    """The view the derived-view options ask for (``--map-labels``, ``--patches``, ...)."""
    if opts["label_map"]:
        if not opts["label_field"]:
            raise CLIError("--map-labels needs --label-field (the field whose classes it maps)")
        pairs = [item.split("=", 1) for item in opts["label_map"]]
        if any(len(pair) != 2 or not all(pair) for pair in pairs):
            raise CLIError("--map-labels takes OLD=NEW, e.g. --map-labels cat=feline")
        view = view.map_labels(opts["label_field"], dict(pairs))
    chosen = [n for n in ("patches_field", "frames_view", "clips_field") if opts[n]]
    if len(chosen) > 1:
        raise CLIError("choose one of --patches, --frames and --clips")
    if opts["fps"] is not None and not opts["frames_view"]:
        raise CLIError("--fps needs --frames")
    if opts["patches_field"]:
        view = view.to_patches(opts["patches_field"])
    elif opts["frames_view"]:
        view = view.to_frames(sample_frames=True, fps=opts["fps"])
    elif opts["clips_field"]:
        view = view.to_clips(opts["clips_field"])
    return view


def print_jobs(results: Any) -> None:
    """A table of the run's tasks and job links (for backends that have them)."""
    task_ids = getattr(results, "task_ids", None)
    if not task_ids:
        return
    api = results.api
    rows = [
        (task_id, job_id, api.base_job_url(task_id, job_id))
        for task_id in task_ids
        for job_id in results.job_ids.get(task_id, [])
    ]
    console.print(table("jobs", ("task", "job", "link"), rows))
