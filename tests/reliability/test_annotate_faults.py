"""Faults injected by the local CVAT server while ``annotate()`` runs.

Transient faults (502/503/429, a dropped connection or a slow answer on a call
that is safe to repeat) are retried and the run completes; permanent ones end
in an error naming the failed call and what to do, with every task the run
created deleted and no run record left. Retries are bounded in attempts and time.
"""

from __future__ import annotations

import time

import pytest

from labelloop.cvat.errors import CVATError
from tests.reliability.helpers import (
    creds,
    image_dataset,
    label_digest,
    server_get,
    task_ids,
    video_dataset,
)

pytestmark = pytest.mark.local_cvat_only(reason="every test injects a fault")

TASK_CREATE = ("POST", r"^/api/tasks/?$")
DATA_UPLOAD = ("POST", r"^/api/tasks/\d+/data/?$")
ANNOTATION_UPLOAD = ("PUT", r"^/api/tasks/\d+/annotations/?$")
JOB_LISTING = ("GET", r"^/api/jobs/?$")


def _annotate(dataset, server, key="run", **kwargs):
    return dataset.annotate(key, label_field="gt", **creds(server), **kwargs)


def _assert_clean_failure(dataset, server, key, before):
    assert not dataset.has_annotation_run(key)
    assert task_ids(server) == []
    assert label_digest(dataset) == before


def _assert_completed(dataset, server, results, tasks=1):
    assert dataset.has_annotation_run("run")
    assert sorted(task_ids(server)) == sorted(results.task_ids)
    assert len(results.task_ids) == tasks
    # every uploaded label reached the server
    total = sum(len(server_get_annotations(server, t)["shapes"]) for t in results.task_ids)
    assert total == sum(len(s.gt.detections) for s in dataset.iter_samples())


def server_get_annotations(server, task_id):
    with server.client() as client:
        response = client.get(f"/api/tasks/{task_id}/annotations")
        response.raise_for_status()
        return response.json()


TRANSIENT = [
    pytest.param(DATA_UPLOAD, {"status": 502}, id="data-upload-502"),
    pytest.param(DATA_UPLOAD, {"status": 503}, id="data-upload-503"),
    pytest.param(DATA_UPLOAD, {"action": "throttle", "retry_after": 1}, id="data-upload-429"),
    pytest.param(ANNOTATION_UPLOAD, {"status": 502}, id="annotation-upload-502"),
    pytest.param(ANNOTATION_UPLOAD, {"status": 503}, id="annotation-upload-503"),
    pytest.param(JOB_LISTING, {"status": 502}, id="job-listing-502"),
    pytest.param(JOB_LISTING, {"status": 503}, id="job-listing-503"),
    pytest.param(JOB_LISTING, {"action": "throttle", "retry_after": 1}, id="job-listing-429"),
    pytest.param(
        ANNOTATION_UPLOAD, {"action": "throttle", "retry_after": 1}, id="annotation-upload-429"
    ),
    pytest.param(ANNOTATION_UPLOAD, {"action": "drop"}, id="annotation-upload-dropped"),
    pytest.param(JOB_LISTING, {"action": "drop"}, id="job-listing-dropped"),
]


@pytest.mark.parametrize(("call", "fault"), TRANSIENT)
def test_transient_fault_is_retried_and_the_run_completes(server, tmp_path, call, fault):
    dataset = image_dataset(tmp_path, 2)
    method, path = call
    server.inject_fault(method=method, path=path, nth=1, **fault)
    results = _annotate(dataset, server, task_size=1)  # two tasks: the first one is hit
    rules = server.faults()
    assert rules and all(rule["fired"] == 1 for rule in rules)
    _assert_completed(dataset, server, results, tasks=2)


PERMANENT = [
    pytest.param(TASK_CREATE, {"status": 500}, "POST /api/tasks", id="task-create-500"),
    pytest.param(TASK_CREATE, {"status": 502}, "POST /api/tasks", id="task-create-502"),
    pytest.param(TASK_CREATE, {"status": 503}, "POST /api/tasks", id="task-create-503"),
    pytest.param(DATA_UPLOAD, {"status": 500}, "/data", id="data-upload-500"),
    pytest.param(ANNOTATION_UPLOAD, {"status": 500}, "/annotations", id="annotation-upload-500"),
    pytest.param(JOB_LISTING, {"status": 500}, "/api/jobs", id="job-listing-500"),
    pytest.param(TASK_CREATE, {"action": "drop"}, "POST /api/tasks", id="task-create-dropped"),
]


@pytest.mark.parametrize("task_size", [None, 1], ids=["one-task", "multi-task"])
@pytest.mark.parametrize(("call", "fault", "names"), PERMANENT)
def test_permanent_fault_fails_cleanly(server, tmp_path, call, fault, names, task_size):
    dataset = image_dataset(tmp_path, 2)
    before = label_digest(dataset)
    method, path = call
    # on a multi-task run the second task's call fails: the first task must go too
    server.inject_fault(method=method, path=path, nth=2 if task_size else 1, **fault)
    with pytest.raises(CVATError) as info:
        _annotate(dataset, server, task_size=task_size)
    message = str(info.value)
    assert names in message
    assert "(" in message and ")" in message  # the hint on what to do
    _assert_clean_failure(dataset, server, "run", before)


def test_fault_on_every_retry_gives_up_within_bounds(server, tmp_path):
    dataset = image_dataset(tmp_path, 1)
    before = label_digest(dataset)
    server.inject_fault(method="PUT", path=ANNOTATION_UPLOAD[1], status=503)
    started = time.monotonic()
    with pytest.raises(CVATError, match="503"):
        _annotate(dataset, server)
    elapsed = time.monotonic() - started
    fired = server.faults()[0]["fired"]
    assert 1 < fired <= 4  # the fixture's RetryPolicy(max_attempts=4)
    assert elapsed < 60
    _assert_clean_failure(dataset, server, "run", before)


def test_retry_after_longer_than_the_budget_is_not_waited_for(server, tmp_path):
    dataset = image_dataset(tmp_path, 1)
    server.inject_fault(method="GET", path=JOB_LISTING[1], action="throttle", retry_after=3600)
    started = time.monotonic()
    with pytest.raises(CVATError, match="429"):
        _annotate(dataset, server)
    assert time.monotonic() - started < 60
    assert task_ids(server) == []


def test_response_slower_than_the_timeout_is_retried(server, tmp_path):
    dataset = image_dataset(tmp_path, 2)
    server.inject_fault(method="GET", path=JOB_LISTING[1], action="delay", delay=3, nth=1)
    results = _annotate(dataset, server, timeout=1)
    assert server.faults()[0]["fired"] == 1
    _assert_completed(dataset, server, results)


def test_always_slow_server_ends_in_a_timeout_error(server, tmp_path):
    dataset = image_dataset(tmp_path, 1)
    before = label_digest(dataset)
    server.inject_fault(method="GET", path=JOB_LISTING[1], action="delay", delay=2)
    with pytest.raises(CVATError, match="timed out"):
        _annotate(dataset, server, timeout=0.5)
    _assert_clean_failure(dataset, server, "run", before)


@pytest.mark.parametrize("task_size", [None, 1], ids=["one-task", "multi-task"])
def test_failed_processing_names_the_server_message(server, tmp_path, task_size):
    dataset = image_dataset(tmp_path, 2)
    before = label_digest(dataset)
    server.inject_fault(action="fail_processing", message="decoder exploded")
    with pytest.raises(CVATError, match="decoder exploded"):
        _annotate(dataset, server, task_size=task_size)
    _assert_clean_failure(dataset, server, "run", before)


@pytest.mark.parametrize("refusal", ["after-processing", "at-once"])
def test_a_failure_while_media_is_processed_still_deletes_the_task(
    server, tmp_path, caplog, refusal
):
    """The server refuses to delete a task it is processing: CVAT 2.73 (and the local
    server) wait for the processing, then answer 500; a server that refused at once would
    leave the client waiting. Either way the cleanup deletes the task once processing ended."""
    dataset = image_dataset(tmp_path, 2)
    before = label_digest(dataset)
    server.inject_fault(action="slow_processing", delay=2.0)
    server.inject_fault(method="GET", path=r"^/api/requests/action", status=500, nth=1)
    # at once: an injected 500; after processing: a no-op delay that only counts DELETEs
    rule = {"status": 500, "nth": 1} if refusal == "at-once" else {"action": "delay"}
    server.inject_fault(method="DELETE", path=r"^/api/tasks/\d+$", **rule)
    with pytest.raises(CVATError, match="500"):
        _annotate(dataset, server)
    _assert_clean_failure(dataset, server, "run", before)
    [deletes] = [f["matched"] for f in server.faults() if f["method"] == "DELETE"]
    assert deletes == 2  # refused once, then deleted
    waited = "waiting for the server to finish its media" in caplog.text
    assert waited == (refusal == "at-once")


def test_a_task_that_cannot_be_deleted_is_named_with_its_url(server, tmp_path, caplog):
    dataset = image_dataset(tmp_path, 2)
    server.inject_fault(method="GET", path=r"^/api/requests/action", status=500, nth=1)
    server.inject_fault(method="DELETE", path=r"^/api/tasks/\d+$", status=500)
    with pytest.raises(CVATError, match="500"):
        _annotate(dataset, server)
    server.clear_faults()
    [task_id] = task_ids(server)
    assert f"Could not delete task {task_id} ({server.url}/api/tasks/{task_id})" in caplog.text
    assert "delete it there" in caplog.text
    assert not dataset.has_annotation_run("run")


def test_oversized_media_group_falls_back_to_smaller_uploads(server, tmp_path):
    dataset = image_dataset(tmp_path, 3)
    server.set_max_body_size(4_000)  # one JPEG fits, a group of three does not
    results = _annotate(dataset, server)
    _assert_completed(dataset, server, results)


def test_oversized_annotation_body_gets_413_and_a_hint(server, tmp_path):
    dataset = image_dataset(tmp_path, 2, per_sample=150)
    before = label_digest(dataset)
    server.set_max_body_size(20_000)  # media passes, 300 boxes in one PUT do not
    with pytest.raises(CVATError, match="413") as info:
        _annotate(dataset, server)
    assert "too large" in str(info.value)
    _assert_clean_failure(dataset, server, "run", before)


def test_video_run_retries_a_transient_fault_and_completes(server, tmp_path):
    dataset = video_dataset(tmp_path, 2)
    server.inject_fault(method="PUT", path=ANNOTATION_UPLOAD[1], status=503, nth=1)
    results = dataset.annotate("run", label_field="frames.boxes", **creds(server))
    assert server.faults()[0]["fired"] == 1
    assert sorted(task_ids(server)) == sorted(results.task_ids) and len(results.task_ids) == 2


@pytest.mark.parametrize(
    "fault",
    [
        {"action": "fail_processing", "message": "bad video"},
        {"method": "POST", "path": TASK_CREATE[1], "status": 500, "nth": 2},
    ],
    ids=["processing-fails", "second-task-create-500"],
)
def test_video_run_permanent_fault_deletes_every_task(server, tmp_path, fault):
    dataset = video_dataset(tmp_path, 2)
    before = label_digest(dataset)
    server.inject_fault(**fault)
    with pytest.raises(CVATError):
        dataset.annotate("run", label_field="frames.boxes", **creds(server))
    _assert_clean_failure(dataset, server, "run", before)


@pytest.mark.parametrize("fault", [{"action": "drop"}, {"status": 500}], ids=["dropped", "500"])
def test_project_creation_fault_leaves_no_project(server, tmp_path, fault):
    dataset = image_dataset(tmp_path, 1)
    before = label_digest(dataset)
    server.inject_fault(method="POST", path=r"^/api/projects/?$", **fault)
    with pytest.raises(CVATError, match="/api/projects"):
        _annotate(dataset, server, project_name="fresh-project")
    assert server_get(server, "/api/projects")["count"] == 0
    _assert_clean_failure(dataset, server, "run", before)
