"""The person in CVAT, for the documentation tests: edits every open job, then completes it.

A job with shapes gets its first shape moved by a few pixels (an edit the
merge must report); a job with no objects at all gets a tag of its first label
(a new classification or scalar value). Then the job is marked completed, so
code that waits for the annotators goes on.
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
            if annotations["shapes"]:
                shape = min(annotations["shapes"], key=lambda s: s["id"])
                person.move_shape(job["id"], shape["id"], 5, 3)
            elif not annotations["tags"] and not annotations["tracks"]:
                with server.client() as client:
                    labels = client.get("/api/labels", params={"job_id": job["id"]}).json()
                first = min(labels["results"], key=lambda label: label["id"])
                person.add_tag(job["id"], label=first["name"], frame=job["start_frame"])
            person.complete(job["id"])
    return len(jobs)
