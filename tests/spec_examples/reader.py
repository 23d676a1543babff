"""What a reader brings to the spec's examples: the names a snippet takes for granted,
the hands-on steps in CVAT, and the answers typed at prompts.

Reference snippets of the spec (the label schema, managing runs, ...) use
``dataset``, ``view`` or ``anno_key`` without defining them: the reader has a
dataset at hand. :data:`SETUP` gives each such section that context, written
here in our own code, before its first block runs. Every block of a section
runs in one namespace, in order.
"""

from __future__ import annotations

import re
from typing import Any

from labelloop.testing.annotator import Annotator
from tests.docs import person

#: A small image dataset with the spec's ``existing_field`` (new boxes where the ground truth has boxes).
_IMAGES = """
import labelloop as fo
import labelloop.zoo as foz

dataset = foz.load_zoo_dataset("quickstart").limit(2).clone()
for sample in dataset:
    boxes = [
        fo.Detection(label=box.label, bounding_box=box.bounding_box)
        for box in sample.ground_truth.detections
    ]
    sample["existing_field"] = fo.Detections(detections=boxes)
    sample.save()
view = dataset.limit(1)
"""

#: A one-sample video dataset, for the video reference snippet.
_VIDEO = """
import labelloop as fo
import labelloop.zoo as foz

dataset = foz.load_zoo_dataset("quickstart-video").limit(1).clone()
view = dataset
"""

#: A finished run, for the snippets that load, list, rename and delete runs.
_RUN = (
    _IMAGES
    + """
anno_key = "reader_run"
new_anno_key = "reader_run_renamed"
view.annotate(anno_key, label_field="ground_truth")
"""
)

SETUP: dict[str, str] = {
    "authentication": _IMAGES + 'anno_key = "prompted_credentials"\n',
    "label-schema": _IMAGES,
    "cvat-label-schema": _IMAGES,
    "label-attributes": _IMAGES,
    "cvat-label-attributes": _IMAGES,
    "restricting-additions-deletions-and-edits": _IMAGES,
    "cvat-restricting-edits": _IMAGES,
    "labeling-videos": _VIDEO,
    "cvat-labeling-videos": _VIDEO,
    "loading-annotations": _RUN,
    "cvat-loading-annotations": _RUN,
    "managing-annotation-runs": _RUN,
    "cvat-managing-annotation-runs": _RUN,
    # the example creates the project "example_import" and then reads the name from a
    # variable it never sets: the reader fills in the project they just made
    "importing-existing-tasks": 'project_name = "example_import"\n',
}

#: Context a single block takes for granted, run right before it (by ``section:ordinal``).
BEFORE: dict[str, str] = {
    # the loop prints the status of the dataset's runs; the first block deleted its own
    "viewing-task-statuses:3": 'view.annotate("status_run", label_field="ground_truth")\n',
}

#: Sections of independent reference snippets: each block starts from the section's context.
INDEPENDENT = frozenset(SETUP) - {"importing-existing-tasks"}

_PLACEHOLDER = re.compile(r'^anno_key = "\.\.\."$', re.M)


def fill_placeholders(code: str) -> str:
    """The reader's own run key where the spec writes the placeholder ``"..."``."""
    return _PLACEHOLDER.sub('anno_key = "my_run"', code)


#: A top-level comment where the reader goes to CVAT and does the work.
_HANDS_ON = re.compile(
    r"^#( Step \d+:)? (Create annotations|Modify|Annotate|Add|Mark|Populate|Edit|Perform annotation)"
    r"\b.* in (both )?CVAT\b"
)


def chunks(code: str) -> list[str]:
    """``code`` split before every hands-on comment (each chunk is whole statements)."""
    parts: list[list[str]] = [[]]
    for line in code.splitlines():
        if _HANDS_ON.match(line) and any(s.strip() for s in parts[-1]):
            parts.append([])
        parts[-1].append(line)
    return ["\n".join(part) + "\n" for part in parts]


def work_in_cvat(server: Any, section: str) -> int:
    """The reader's work in CVAT at a hands-on step; returns how many jobs were done."""
    if section == "unexpected-annotations":
        _draw_polylines(server)
    return person.play(server)


def _draw_polylines(server: Any) -> None:
    """The spec's "wrong type" annotation: a polyline where the run expects boxes."""
    with Annotator(server.url, server.username, server.password) as annotator:
        for job in person.open_jobs(server):
            label = min(annotator.task(job["task_id"]).labels(), key=lambda lb: lb["id"])
            annotator.add_shape(
                job["id"],
                type="polyline",
                label=label["name"],
                points=[10, 10, 40, 30, 70, 12],
                frame=job["start_frame"],
            )
