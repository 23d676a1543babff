"""``labelloop demo``: the basic recipe end to end, on a fresh machine, with nothing configured.

Load ``quickstart``, evaluate the predictions, find the sample with the most
confident false positives, send its ``ground_truth`` to CVAT, have its boxes
fixed, look at the dry-run diff, merge, compare, clean up. Without
``LABELLOOP_CVAT_URL`` the local CVAT-compatible server runs in a temporary
directory and a scripted annotator (:mod:`labelloop.testing.demo_annotator`) plays
the person; with it, the editor is opened for a real person and the demo waits
for the jobs to be completed. Everything the demo creates (a throwaway copy of
the dataset, the run record, the tasks, the local server) is removed at the
end, also after an error or Ctrl-C.

It lives beside the local server it starts and plugs into the CLI through the
``labelloop.commands`` entry point, so the library itself never imports the
test double.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import tempfile
from collections import Counter
from collections.abc import Iterator
from typing import Any

import click
from PIL import Image
from rich.rule import Rule

from labelloop.cli.output import console, setup_logging, table
from labelloop.cli.report import print_report
from labelloop.cli.waiting import wait_for_jobs
from labelloop.core.expressions import ViewField as F
from labelloop.testing.demo_annotator import fix_boxes

logger = logging.getLogger(__name__)

ANNO_KEY = "cvat_basic_recipe"
STEPS = 8


def _step(number: int, text: str) -> None:
    console.print()
    console.print(Rule(f"[bold]Step {number}/{STEPS}[/bold]  {text}", align="left"))


def configured_url() -> str | None:
    """The CVAT URL set in the environment (ours, else the reference system's variable)."""
    for name in ("LABELLOOP_CVAT_URL", "FIFTYONE_CVAT_URL"):
        if os.environ.get(name):
            return os.environ[name]
    return None


@contextlib.contextmanager
def _server(use_local: bool) -> Iterator[dict[str, Any]]:
    """Credentials to annotate with: a local server's, or ``{}`` (taken from the environment)."""
    if not use_local:
        yield {}
        return
    try:
        from labelloop.testing.cvat_server import LocalCVATServer
    except ImportError as exc:
        raise click.ClickException(
            f"the demo's local CVAT server needs the 'server' extra ({exc}); install it with "
            "pip install 'labelloop[server]', or set LABELLOOP_CVAT_URL to use your own CVAT"
        ) from exc
    password = secrets.token_urlsafe(12)
    with tempfile.TemporaryDirectory(prefix="labelloop-demo-") as data_dir:
        with console.status("Starting the local CVAT-compatible server..."):
            server = LocalCVATServer(data_dir, username="demo", password=password).start()
        try:
            console.print(
                f"Local CVAT-compatible server running at {server.url} (data in a temp dir)"
            )
            yield {"url": server.url, "username": "demo", "password": password}
        finally:
            server.stop()
            console.print("Stopped the local server and removed its data.")


def _gt_counts(sample: Any) -> Counter[str]:
    value = sample["ground_truth"]
    return Counter(d.label for d in (value.detections if value is not None else []))


@click.command("demo")
@click.option(
    "--local",
    is_flag=True,
    help="Use the local server and the scripted annotator even when LABELLOOP_CVAT_URL is set.",
)
@click.option(
    "--poll-interval",
    default=5.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds between checks of the job states on a real CVAT server.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=None,
    help="Give up waiting for the person after this many seconds (default: wait until done).",
)
@click.option("--no-browser", is_flag=True, help="Print the editor's URL instead of opening it.")
@click.pass_context
def demo(
    ctx: click.Context, local: bool, poll_interval: float, timeout: float | None, no_browser: bool
) -> None:
    """Run the basic annotation recipe end to end (offline unless LABELLOOP_CVAT_URL is set)."""
    import labelloop.zoo as foz

    setup_logging(ctx)
    url = None if local else configured_url()
    console.print(Rule("[bold]labelloop demo: the basic annotation recipe[/bold]"))
    if url:
        console.print(f"Using the CVAT server at {url} (from LABELLOOP_CVAT_URL).")
    else:
        console.print(
            "No CVAT server configured: the demo runs a local one and a scripted annotator."
        )

    _step(1, "Load the quickstart dataset")
    with console.status("Loading quickstart (the first run draws its 200 images)..."):
        source = foz.load_zoo_dataset("quickstart")
        dataset = source.clone()  # a throwaway copy: the demo can run again and again
    try:
        console.print(
            f"Loaded {len(dataset)} samples; working on a throwaway copy {dataset.name!r}."
        )
        _run(dataset, url, poll_interval, timeout, no_browser)
    finally:
        dataset.delete()
        console.print("Deleted the throwaway copy of the dataset.")


def _run(
    dataset: Any,
    url: str | None,
    poll_interval: float,
    timeout: float | None,
    no_browser: bool,
) -> None:
    _step(2, "Evaluate the predictions against the ground truth")
    with console.status("Matching predictions to ground truth..."):
        dataset.evaluate_detections("predictions", gt_field="ground_truth", eval_key="eval")
    totals = {kind: sum(dataset.values(f"eval_{kind}")) for kind in ("tp", "fp", "fn")}
    console.print(
        f"True positives: {totals['tp']}, false positives: {totals['fp']}, "
        f"false negatives: {totals['fn']}"
    )

    _step(3, "Find the sample with the most high-confidence false positives")
    most_fp_view = dataset.filter_labels(
        "predictions", (F("confidence") > 0.8) & (F("eval") == "fp")
    ).sort_by(F("predictions.detections").length(), reverse=True)
    sample = most_fp_view.first()
    view = dataset.select(sample.id)
    before = _gt_counts(dataset[sample.id])
    console.print(
        f"Sample {os.path.basename(sample.filepath)}: {len(sample.predictions.detections)} "
        f"confident false positives, {sum(before.values())} ground-truth boxes."
    )

    _step(4, "Send the sample and its ground truth to CVAT")
    with _server(url is None) as creds:
        results = view.annotate(
            ANNO_KEY,
            label_field="ground_truth",
            attributes=["iscrowd"],
            launch_editor=url is not None and not no_browser,
            **creds,
        )
        try:
            _annotate_and_merge(dataset, sample, results, creds, url, poll_interval, timeout)
        finally:
            _cleanup(dataset, results)
    after = _gt_counts(dataset[sample.id])
    _step(8, "Before and after")
    labels = sorted(set(before) | set(after))
    rows = [(name, before[name], after[name]) for name in labels]
    rows.append(("total", sum(before.values()), sum(after.values())))
    console.print(table("ground_truth boxes on the sample", ("label", "before", "after"), rows))
    console.print("[bold green]Demo complete.[/bold green]")


def _annotate_and_merge(
    dataset: Any,
    sample: Any,
    results: Any,
    creds: dict[str, Any],
    url: str | None,
    poll_interval: float,
    timeout: float | None,
) -> None:
    task_id = results.task_ids[0]
    job_urls = [results.api.base_job_url(task_id, job) for job in results.job_ids[task_id]]
    console.print(f"Created task {task_id}; annotation run {ANNO_KEY!r} recorded.")

    _step(5, "Fix the boxes in CVAT")
    if url is None:
        console.print(
            "[bold yellow]A scripted annotator (a program, not a person) now plays the "
            "annotator[/bold yellow] in the local server, through CVAT's REST API:"
        )
        with Image.open(sample.filepath) as image:
            size = image.size
        for line in fix_boxes(creds["url"], creds["username"], creds["password"], results, size):
            console.print(f"  - {line}")
        interval = 0.2
    else:
        console.print("Open the job in CVAT, fix the boxes, then mark the job completed:")
        for job_url in job_urls:
            console.print(f"  {job_url}")
        console.print("(Ctrl-C stops waiting and removes what the demo created.)")
        interval = poll_interval
    hint = "the demo removed what it created; run it again with a longer --timeout"
    wait_for_jobs(results, interval=interval, timeout=timeout, hint=hint)

    _step(6, "Dry run: what would the merge change?")
    report = dataset.load_annotations(ANNO_KEY, dry_run=True, **creds)
    print_report(report, "Dry run (nothing written yet)")

    _step(7, "Merge the annotations back")
    report = dataset.load_annotations(ANNO_KEY, unexpected="keep", cleanup=True, **creds)
    print_report(report, "Merged")
    console.print("load_annotations(cleanup=True) deleted the CVAT task.")


def _cleanup(dataset: Any, results: Any) -> None:
    """Delete the run's tasks (if the merge did not) and the run record."""
    try:
        if results.task_ids:
            results.cleanup()
            console.print("Deleted the CVAT task.")
    finally:
        if dataset.has_annotation_run(ANNO_KEY):
            dataset.delete_annotation_run(ANNO_KEY)
        console.print(f"Deleted the annotation run record {ANNO_KEY!r}.")
