"""The person in CVAT, for the documentation tests: edits every open job, then completes it.

A video job gets a new track of its first label over its first three frames
(keyframes on the first and third, three labels added);
an image job with shapes gets its first shape moved by a few pixels (an edit
the merge must report); an image job with no objects at all gets a tag of its
first label (a new classification or scalar value). Then the job is marked
completed, so code that waits for the annotators goes on.
"""

from __future__ import annotations

from typing import Any

from labelloop.testing.annotator import Annotator


def open_jobs(server: Any) -> list[dict[str, Any]]:
    """Every job on the server not yet completed."""
    with server.client() as client:
        jobs = client.get("/api/jobs", params={"page_size": "all"}).json()["results"]
    return [job for job in jobs if job["state"] != "completed"]


def play(server: Any) -> int:
    """Edit and complete every open job; returns how many jobs were done."""
    jobs = open_jobs(server)
    if not jobs:
        return 0
    with Annotator(server.url, server.username, server.password) as person:
        for job in jobs:
            annotations = person.annotations(job["id"])
            if job.get("mode") == "interpolation":
                _add_track(server, person, job)
            elif annotations["shapes"]:
                shape = min(annotations["shapes"], key=lambda s: s["id"])
                person.move_shape(job["id"], shape["id"], 5, 3)
            elif not annotations["tags"] and not annotations["tracks"]:
                person.add_tag(job["id"], label=_first_label(server, job), frame=job["start_frame"])
            person.complete(job["id"])
    return len(jobs)


def _first_label(server: Any, job: dict[str, Any]) -> str:
    with server.client() as client:
        labels = client.get("/api/labels", params={"job_id": job["id"]}).json()["results"]
    return min(labels, key=lambda label: label["id"])["name"]


def _add_track(server: Any, person: Annotator, job: dict[str, Any]) -> None:
    """A box on the job's first three frames, keyframed on the first and third and going
    outside on the fourth, so the frames in between are interpolated."""
    start, stop = job["start_frame"], job["stop_frame"]
    assert stop >= start + 3, f"job {job['id']} is too short for the person's track"
    person.add_track(
        job["id"],
        label=_first_label(server, job),
        shapes=[
            {"frame": start, "points": [10, 10, 60, 50]},
            {"frame": start + 2, "points": [20, 10, 70, 50]},
            {"frame": start + 3, "points": [20, 10, 70, 50], "outside": True},
        ],
    )
