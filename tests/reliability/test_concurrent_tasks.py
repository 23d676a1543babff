"""A run's tasks go up several at a time, yet end exactly as one after another would.

Overlap is read from the local server's own timestamps (task creation, the
data request queued by ``Upload-Finish``) while a ``delay`` fault slows every
media request, never from how long the run took. Delays and faults exist on
the local server only (``/_test/faults``); the comparison with a sequential
run and Ctrl-C also run on real CVAT.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import datetime

import pytest

from labelloop.cvat import run_tasks
from labelloop.cvat.errors import CVATError
from labelloop.testing.fixtures import on_real_cvat
from tests.reliability.helpers import (
    creds,
    image_dataset,
    label_digest,
    server_get,
    task_ids,
    video_dataset,
)

LOCAL_ONLY = pytest.mark.local_cvat_only(reason="injects delays or faults through /_test/faults")
TASK_CREATE = ("POST", r"^/api/tasks/?$")
DATA_UPLOAD = ("POST", r"^/api/tasks/\d+/data/?$")


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _timeline(server) -> tuple[list[datetime], dict[int, dict]]:
    """Creation times of the tasks (in id order) and each task's data request."""
    tasks = sorted(
        server_get(server, "/api/tasks", page_size="all")["results"], key=lambda t: t["id"]
    )
    requests = server_get(server, "/api/requests", action="create", target="task")["results"]
    by_task = {r["operation"]["task_id"]: r for r in requests}
    return [_when(t["created_date"]) for t in tasks], by_task


@LOCAL_ONLY
def test_image_tasks_are_in_flight_together_three_at_a_time(server, tmp_path):
    assert run_tasks.TASK_CONCURRENCY == 3
    dataset = image_dataset(tmp_path, 4)
    method, path = DATA_UPLOAD
    server.inject_fault(method=method, path=path, action="delay", delay=0.5)
    results = dataset.annotate("run", label_field="gt", task_size=1, **creds(server))
    created, requests = _timeline(server)
    assert len(created) == 4 and sorted(requests) == sorted(results.task_ids)
    queued = sorted(_when(r["created_date"]) for r in requests.values())
    finished = sorted(_when(r["finished_date"]) for r in requests.values())
    # tasks 1-3 all exist before any task's media was through (three slow requests each)
    assert max(created[:3]) < queued[0]
    # the fourth waits for a free slot: it starts only after a whole task is done
    assert created[3] > finished[0]


def test_concurrent_run_records_what_a_sequential_run_does(server, tmp_path, monkeypatch):
    dataset = image_dataset(tmp_path, 7, per_sample=3)
    runs = {}
    for concurrency in (1, 3):
        monkeypatch.setattr(run_tasks, "TASK_CONCURRENCY", concurrency)
        results = dataset.annotate(
            f"run{concurrency}", label_field="gt", task_size=2, task_name="batch", **creds(server)
        )
        tasks = {t["id"]: t for t in server_get(server, "/api/tasks", page_size="all")["results"]}
        runs[concurrency] = {
            "names": [tasks[t]["name"] for t in results.task_ids],
            "sizes": [tasks[t]["size"] for t in results.task_ids],
            "frames": [results.frame_id_map[t] for t in results.task_ids],
            "id_map": [(f, list(m.items())) for f, m in results.id_map.items()],
            "objects": [len(results.server_id_map[t]["shapes"]) for t in results.task_ids],
        }
    assert runs[1] == runs[3]
    assert runs[3]["names"] == ["batch_1", "batch_2", "batch_3", "batch_4"]
    assert runs[3]["sizes"] == [2, 2, 2, 1] and sum(runs[3]["objects"]) == 21


@LOCAL_ONLY
def test_three_videos_go_up_together_into_their_own_tasks(server, tmp_path):
    dataset = video_dataset(tmp_path, 3)
    method, path = DATA_UPLOAD
    server.inject_fault(method=method, path=path, action="delay", delay=0.5)
    results = dataset.annotate("run", label_field="frames.boxes", **creds(server))
    created, requests = _timeline(server)
    assert max(created) < min(_when(r["created_date"]) for r in requests.values())
    samples = [s.id for s in dataset.iter_samples()]
    assert [results.frame_id_map[t][0]["sample_id"] for t in results.task_ids] == samples
    names = {t["id"]: t["name"] for t in server_get(server, "/api/tasks")["results"]}
    assert [names[t] for t in results.task_ids] == [
        f"labelloop_{dataset.name}_{i}" for i in (1, 2, 3)
    ]
    for task_id in results.task_ids:
        with server.client() as client:
            shapes = client.get(f"/api/tasks/{task_id}/annotations").json()["shapes"]
        # frame 1 of the video is CVAT's frame 0
        assert [(s["frame"], s["type"]) for s in shapes] == [(0, "rectangle")]


@LOCAL_ONLY
@pytest.mark.parametrize(
    ("call", "fault"),
    [
        pytest.param(TASK_CREATE, {"status": 500, "nth": 2}, id="second-task-create-500"),
        pytest.param(DATA_UPLOAD, {"status": 500, "nth": 4}, id="fourth-media-request-500"),
    ],
)
@pytest.mark.parametrize("media", ["images", "videos"])
def test_fault_in_one_task_deletes_every_task_in_flight(server, tmp_path, call, fault, media):
    if media == "images":
        dataset, field, kwargs = image_dataset(tmp_path, 5), "gt", {"task_size": 1}
    else:
        dataset, field, kwargs = video_dataset(tmp_path, 5), "frames.boxes", {}
    before = label_digest(dataset)
    method, path = call
    server.inject_fault(method=method, path=path, **fault)  # the first matching rule fires
    # slow media requests keep the other tasks mid-upload when the fault fires
    server.inject_fault(method="POST", path=DATA_UPLOAD[1], action="delay", delay=0.3)
    with pytest.raises(CVATError, match="500"):
        dataset.annotate("run", label_field=field, **creds(server), **kwargs)
    assert server.faults()[0]["fired"] == 1
    assert not dataset.has_annotation_run("run")
    assert task_ids(server) == []
    assert label_digest(dataset) == before


def test_ctrl_c_while_tasks_are_in_flight_deletes_them(server, tmp_path):
    """Ctrl-C once three tasks exist: some are sending media, some being processed (which
    CVAT refuses to delete until it is done); none is left."""
    dataset = image_dataset(tmp_path, 6)
    before = label_digest(dataset)
    if not on_real_cvat():  # real CVAT is slow enough on its own
        server.inject_fault(method="POST", path=DATA_UPLOAD[1], action="delay", delay=0.5)
        server.inject_fault(action="slow_processing", delay=1.0)

    def interrupt_once_tasks_exist() -> None:
        deadline = time.monotonic() + 30
        while len(task_ids(server)) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGINT)  # what Ctrl-C sends

    watcher = threading.Thread(target=interrupt_once_tasks_exist)
    watcher.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            dataset.annotate("run", label_field="gt", task_size=1, **creds(server))
    finally:
        watcher.join()
    assert not dataset.has_annotation_run("run")
    assert task_ids(server) == []
    assert label_digest(dataset) == before
