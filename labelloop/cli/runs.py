"""``labelloop runs``: annotation runs of a dataset: status, wait, load, rename, delete, cleanup."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click

from labelloop.cli.common import open_dataset, parse_json, server_kwargs, server_options
from labelloop.cli.errors import CLIError
from labelloop.cli.output import console, setup_logging, table
from labelloop.cli.report import print_report
from labelloop.cli.waiting import wait_for_jobs


@click.group("runs")
def runs() -> None:
    """Annotation runs of a dataset."""


def _run(dataset_name: str, key: str) -> Any:
    dataset = open_dataset(dataset_name)
    if not dataset.has_annotation_run(key):
        known = ", ".join(dataset.list_annotation_runs()) or "none"
        raise CLIError(f"dataset {dataset_name!r} has no annotation run {key!r} (runs: {known})")
    return dataset


def _results(dataset: Any, key: str, creds: dict[str, Any]) -> Any:
    return dataset.load_annotation_results(key, **server_kwargs(**creds))


@runs.command("list")
@click.argument("dataset_name")
@click.pass_context
def list_cmd(ctx: click.Context, dataset_name: str) -> None:
    """List the annotation runs of DATASET_NAME."""
    setup_logging(ctx)
    dataset = open_dataset(dataset_name)
    rows = []
    for key in dataset.list_annotation_runs():
        info = dataset.get_annotation_info(key)
        fields = ", ".join((info.config or {}).get("label_schema") or {})
        rows.append((key, info.method, info.timestamp, fields))
    if not rows:
        console.print(f"Dataset {dataset_name!r} has no annotation runs.")
        return
    console.print(table(None, ("key", "backend", "created", "fields"), rows))


@runs.command("info")
@click.argument("dataset_name")
@click.argument("key")
@click.pass_context
def info(ctx: click.Context, dataset_name: str, key: str) -> None:
    """Print run KEY's record (config without credentials, view stages) as JSON."""
    setup_logging(ctx)
    record = _run(dataset_name, key).get_annotation_info(key).to_dict()
    click.echo(json.dumps(record, indent=4, default=str))


@runs.command("status")
@click.argument("dataset_name")
@click.argument("key")
@server_options
@click.pass_context
def status(ctx: click.Context, dataset_name: str, key: str, **creds: Any) -> None:
    """A table of run KEY's tasks and jobs: assignee, stage, state and link."""
    setup_logging(ctx)
    results = _results(_run(dataset_name, key), key, creds)
    rows = []
    for field, tasks in results.get_status().items():
        for task_id, task in tasks.items():
            for job_id, job in task["jobs"].items():
                rows.append(
                    (
                        field,
                        task_id,
                        job_id,
                        (job["assignee"] or {}).get("username"),
                        job.get("stage"),
                        job.get("state"),
                        job["url"],
                    )
                )
    if not rows:
        console.print(f"Run {key!r} has no tasks left on the server.")
        return
    console.print(table(None, ("field", "task", "job", "assignee", "stage", "state", "link"), rows))


def _load_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--dest-field",
            help="Load into this field (JSON object {field: dest} for multi-field runs).",
        ),
        click.option(
            "--unexpected",
            type=click.Choice(["keep", "ignore"]),
            default="ignore",
            show_default=True,
            help="What to do with labels of a type the run did not ask for.",
        ),
        click.option(
            "--conflicts",
            type=click.Choice(["cvat", "dataset", "error"]),
            default="cvat",
            show_default=True,
            help="When CVAT and a local edit changed the same label differently: take CVAT's "
            "value, keep the dataset's, or load nothing (error).",
        ),
        click.option("--cleanup", is_flag=True, help="Delete the run's tasks after loading."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _dest(text: str | None) -> Any:
    if text is not None and text.lstrip().startswith("{"):
        return parse_json("--dest-field", text)
    return text


def _load(
    dataset: Any,
    key: str,
    dry_run: bool,
    dest: Any,
    unexpected: str,
    cleanup: bool,
    creds: Any,
    conflicts: str = "cvat",
    as_json: bool = False,
) -> None:
    from labelloop.annotation.merge import MergeConflictError

    try:
        report = dataset.load_annotations(
            key,
            dest_field=_dest(dest),
            unexpected=unexpected,
            cleanup=cleanup and not dry_run,
            dry_run=dry_run,
            conflicts=conflicts,
            **server_kwargs(**creds),
        )
    except MergeConflictError as err:
        raise CLIError(
            str(err).replace("dry_run=True", "--dry-run").replace("conflicts='", "--conflicts '")
        ) from None
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, default=str))
        return
    print_report(report, "Dry run: nothing written" if dry_run else f"Loaded {key!r}")


@runs.command("load")
@click.argument("dataset_name")
@click.argument("key")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Only show what would be added/deleted/edited/refused, label by label.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the merge report as JSON.")
@_load_options
@server_options
@click.pass_context
def load(
    ctx: click.Context,
    dataset_name: str,
    key: str,
    dry_run: bool,
    as_json: bool,
    dest_field: str | None,
    unexpected: str,
    conflicts: str,
    cleanup: bool,
    **creds: Any,
) -> None:
    """Download run KEY's annotations and merge them into DATASET_NAME (three-way: only what
    annotators changed is applied; local edits are kept; conflicts as --conflicts says)."""
    setup_logging(ctx)
    dataset = _run(dataset_name, key)
    _load(dataset, key, dry_run, dest_field, unexpected, cleanup, creds, conflicts, as_json)


@runs.command("wait")
@click.argument("dataset_name")
@click.argument("key")
@click.option("--interval", default=10.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds between checks.")  # fmt: skip
@click.option("--timeout", type=click.FloatRange(min=0), help="Give up after this many seconds.")
@click.option("--no-load", is_flag=True, help="Only wait; don't load the annotations.")
@_load_options
@server_options
@click.pass_context
def wait(
    ctx: click.Context,
    dataset_name: str,
    key: str,
    interval: float,
    timeout: float | None,
    no_load: bool,
    dest_field: str | None,
    unexpected: str,
    conflicts: str,
    cleanup: bool,
    **creds: Any,
) -> None:
    """Wait until every job of run KEY is completed, then load it (Ctrl-C stops waiting)."""
    setup_logging(ctx)
    dataset = _run(dataset_name, key)
    wait_for_jobs(_results(dataset, key, creds), interval=interval, timeout=timeout)
    console.print("Every job is completed.")
    if not no_load:
        _load(dataset, key, False, dest_field, unexpected, cleanup, creds, conflicts)


@runs.command("rename")
@click.argument("dataset_name")
@click.argument("key")
@click.argument("new_key")
@click.pass_context
def rename(ctx: click.Context, dataset_name: str, key: str, new_key: str) -> None:
    """Rename run KEY to NEW_KEY."""
    setup_logging(ctx)
    _run(dataset_name, key).rename_annotation_run(key, new_key)
    console.print(f"Renamed run {key!r} to {new_key!r}.")


@runs.command("cleanup")
@click.argument("dataset_name")
@click.argument("key")
@server_options
@click.pass_context
def cleanup(ctx: click.Context, dataset_name: str, key: str, **creds: Any) -> None:
    """Delete run KEY's tasks (and projects it created) on the server; keep the record."""
    from labelloop.core import runs as run_records

    setup_logging(ctx)
    dataset = _run(dataset_name, key)
    results = _results(dataset, key, creds)
    results.cleanup()
    run_records.save_results(dataset, key, results)
    console.print(f"Deleted the server tasks of run {key!r}.")


@runs.command("delete")
@click.argument("dataset_name")
@click.argument("key")
@click.option("--cleanup", is_flag=True, help="First delete the run's tasks on the server.")
@server_options
@click.pass_context
def delete(ctx: click.Context, dataset_name: str, key: str, cleanup: bool, **creds: Any) -> None:
    """Delete the record of run KEY (labels already loaded stay)."""
    setup_logging(ctx)
    dataset = _run(dataset_name, key)
    if cleanup:
        _results(dataset, key, creds).cleanup()
        console.print(f"Deleted the server tasks of run {key!r}.")
    dataset.delete_annotation_run(key)
    console.print(f"Deleted annotation run {key!r}.")
