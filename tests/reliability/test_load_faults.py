"""Faults while ``load_annotations()`` runs: the dataset is exactly as before or as after.

Every label of the dataset is digested before and after; a failed or killed load
must leave the first digest, a completed one the second, and re-running a load
completes it (loads are idempotent).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import uuid

import pytest

from labelloop.cvat.errors import CVATError
from labelloop.testing.annotator import Annotator
from tests.reliability.helpers import image_dataset, label_digest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _annotated(server, tmp_path, count, task_size=None):
    """A persistent dataset, its run, and a person's edits on every job."""
    name = f"rel-{uuid.uuid4().hex[:8]}"
    dataset = image_dataset(tmp_path, count, name=name)
    dataset.persistent = True
    results = dataset.annotate(
        "run", label_field="gt", task_size=task_size, url=server.url, token=server.admin_token
    )
    with Annotator(server.url, token=server.admin_token) as person:
        for task_id in results.task_ids:
            for job in person.jobs(task_id):
                shapes = person.annotations(job["id"])["shapes"]
                person.update_shapes(
                    job["id"],
                    [{"id": s["id"], "points": [p + 1 for p in s["points"]]} for s in shapes],
                )
                person.delete_shapes(job["id"], [shapes[0]["id"]])
                person.add_shape(
                    job["id"],
                    type="rectangle",
                    label="dog",
                    points=[1, 1, 9, 9],
                    frame=job["start_frame"],
                )
    return dataset


def _load(dataset, server, **kwargs):
    return dataset.load_annotations(
        "run", url=server.url, token=server.admin_token, unexpected="keep", **kwargs
    )


DOWNLOAD_CALLS = [
    pytest.param("GET", r"^/api/jobs/?$", id="job-listing"),
    pytest.param("GET", r"^/api/jobs/\d+/annotations/?$", id="job-annotations"),
    pytest.param("GET", r"^/api/labels/?$", id="labels"),
    pytest.param("GET", r"^/api/tasks/\d+/data/meta/?$", id="data-meta"),
]


@pytest.mark.local_cvat_only(reason="injects download faults")
@pytest.mark.parametrize(("method", "path"), DOWNLOAD_CALLS)
def test_download_fault_leaves_dataset_as_before_and_rerun_completes(
    server, tmp_path, method, path
):
    dataset = _annotated(server, tmp_path, 2)
    before = label_digest(dataset)
    rule = server.inject_fault(method=method, path=path, status=500)
    with pytest.raises(CVATError, match="500"):
        _load(dataset, server)
    fired = server.faults()
    server.clear_faults()
    assert label_digest(dataset) == before
    if not fired or not fired[0]["fired"]:
        pytest.fail(f"the download never called {method} {path}: {rule}")
    _load(dataset, server)
    after = label_digest(dataset)
    assert after != before
    _load(dataset, server)  # idempotent: a second load changes nothing
    assert label_digest(dataset) == after


@pytest.mark.local_cvat_only(reason="injects a transient download fault")
@pytest.mark.parametrize(("method", "path"), DOWNLOAD_CALLS)
def test_transient_download_fault_is_retried(server, tmp_path, method, path):
    dataset = _annotated(server, tmp_path, 2)
    server.inject_fault(method=method, path=path, status=503, nth=1)
    _load(dataset, server)
    loaded = label_digest(dataset)
    server.clear_faults()
    _load(dataset, server)
    assert label_digest(dataset) == loaded


def _child_command(dataset, server, point="none", nth=0):
    module = "tests.reliability.load_child"
    args = [dataset.name, "run", server.url, server.admin_token, point, str(nth)]
    return [sys.executable, "-m", module, *args], dict(os.environ, PYTHONPATH=ROOT)


def _child(dataset, server, point, nth):
    command, env = _child_command(dataset, server, point, nth)
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("point", "nth"),
    [("save", 6), ("results", 1), ("results", 2)],
    ids=["mid-merge", "id-map-save", "after-commit"],
)
def test_sigkill_during_merge_leaves_before_or_after(server, tmp_path, point, nth):
    dataset = _annotated(server, tmp_path, 12, task_size=6)
    before = label_digest(dataset)
    killed = _child(dataset, server, point, nth)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    state = label_digest(dataset)
    completed = _child(dataset, server, "none", 0)
    assert completed.returncode == 0, completed.stderr[-2000:]
    after = label_digest(dataset)
    assert after != before
    if (point, nth) == ("results", 2):  # killed after the commit: the load is complete
        assert state == after
    else:  # killed inside the merge's transaction: nothing of it landed
        assert state == before
    _load(dataset, server)  # and re-running it once more changes nothing
    assert label_digest(dataset) == after


def test_disk_full_during_merge_leaves_dataset_as_before(server, tmp_path):
    dataset = _annotated(server, tmp_path, 4)
    with Annotator(server.url, token=server.admin_token) as person:
        for task_id in dataset.load_annotation_results("run").task_ids:
            job = person.jobs(task_id)[0]
            for i in range(40):  # enough new labels that the database must grow
                person.add_shape(
                    job["id"], type="rectangle", label="cat", points=[i, 1, i + 5, 6], frame=i % 4
                )
    before = label_digest(dataset)
    conn = dataset._store._conn  # the process's SQLite connection: cap the file's size
    # The session's database is shared: pages freed by earlier tests could absorb the
    # merge's growth, so pack the file first, and then any new label needs a new page.
    conn.execute("VACUUM")
    assert conn.execute("PRAGMA freelist_count").fetchone()[0] == 0
    limit = conn.execute("PRAGMA max_page_count").fetchone()[0]
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    try:
        with pytest.raises(sqlite3.OperationalError, match="full"):
            _load(dataset, server)
    finally:
        conn.execute(f"PRAGMA max_page_count = {limit}")
    assert label_digest(dataset) == before
    _load(dataset, server)  # with room again, the same load completes
    after = label_digest(dataset)
    assert after != before
    assert sum(len(s.gt.detections) for s in dataset.iter_samples()) == 4 * 2 - 1 + 1 + 40


def test_two_concurrent_loads_of_one_run_give_the_result_of_one(server, tmp_path):
    dataset = _annotated(server, tmp_path, 12, task_size=6)
    command, env = _child_command(dataset, server)
    children = [
        subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outcomes = [child.communicate(timeout=120) for child in children]
    for child, (_, err) in zip(children, outcomes):
        assert child.returncode == 0, err[-2000:]  # the second waited for the first's lock
    both = label_digest(dataset)
    _load(dataset, server)
    assert label_digest(dataset) == both  # nothing half-applied, nothing added twice
    # every job: 2 boxes per sample, one deleted, one drawn
    assert sum(len(s.gt.detections) for s in dataset.iter_samples()) == 12 * 2
