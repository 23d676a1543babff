"""Media upload and the HTTP client against the local CVAT server: multipart groups,
TUS, body limits, injected faults, processing status."""

from __future__ import annotations

import logging
import os
import shutil

import pytest

from labelloop.cvat.api import CVATAnnotationAPI
from labelloop.cvat.client import RetryPolicy
from labelloop.cvat.errors import CVATNotFound, CVATRequestFailed
from labelloop.cvat.upload import DataOptions, upload_media, wait_for_request
from tests.cvat.media import write_images

FAST = RetryPolicy(max_attempts=4, backoff=0.001, max_delay=0.01, max_total=10)


@pytest.fixture
def api(cvat_server_fresh):
    server = cvat_server_fresh
    with CVATAnnotationAPI(
        "cvat", server.url, username=server.username, password=server.password, retry=FAST
    ) as api:
        yield api


def _task(api):
    return int(api.tasks.create("upload", labels=[{"name": "x", "attributes": []}])["id"])


def _upload(api, paths, **kwargs):
    task_id = _task(api)
    rq_id = upload_media(api.client, task_id, paths, DataOptions(image_quality=90), **kwargs)
    wait_for_request(api.client, rq_id, task_id=task_id, timeout=60)
    meta = api.tasks.data_meta(task_id)
    return task_id, [f["name"] for f in meta["frames"]]


def test_groups_tus_and_duplicate_names_keep_sample_order(api, tmp_path, caplog):
    small = write_images(str(tmp_path / "a"), 4, (16, 16))
    big = write_images(str(tmp_path / "b"), 2, (160, 120))
    twin = str(tmp_path / "c" / "img0000.jpg")  # same basename as small[0]
    os.makedirs(os.path.dirname(twin))
    shutil.copy(small[0], twin)
    paths = [small[0], big[0], small[1], small[2], big[1], small[3], twin]
    limit = 2 * max(os.path.getsize(p) for p in small) + 10
    with caplog.at_level(logging.DEBUG, logger="labelloop.cvat.upload"):
        _task_id, names = _upload(api, paths, max_request_size=limit)
    assert names == [
        "img0000.jpg",
        "img0000-1.jpg",
        "img0001.jpg",
        "img0002.jpg",
        "img0001-1.jpg",
        "img0003.jpg",
        "img0000-2.jpg",
    ]
    assert "in 3 group(s) and 2 TUS upload(s)" in caplog.text


@pytest.mark.local_cvat_only(reason="sets a request body limit")
def test_server_body_limit_splits_groups_and_shrinks_tus_chunks(
    api, cvat_server_fresh, tmp_path, caplog
):
    paths = write_images(str(tmp_path / "c"), 6, (120, 90))
    cvat_server_fresh.set_max_body_size(12000)
    with caplog.at_level(logging.INFO, logger="labelloop.cvat.upload"):
        _task_id, names = _upload(api, paths)
    assert names == [f"img{i:04d}.jpg" for i in range(6)]
    assert "too large for the server; splitting" in caplog.text


@pytest.mark.local_cvat_only(reason="injects a failed TUS chunk")
def test_tus_resumes_after_a_failed_chunk(api, cvat_server_fresh, tmp_path):
    paths = write_images(str(tmp_path / "d"), 1, (200, 150))
    with cvat_server_fresh.fault(method="PATCH", path=r"/data/", nth=1, status=500):
        _task_id, names = _upload(api, paths, max_request_size=100)
        (rule,) = cvat_server_fresh.faults()
    assert names == ["img0000.jpg"]
    assert rule["fired"] == 1


@pytest.mark.local_cvat_only(reason="injects throttling and dropped connections")
def test_throttling_and_dropped_connections_are_retried(api, cvat_server_fresh):
    task_id = _task(api)
    with cvat_server_fresh.fault(
        action="throttle", method="GET", path=rf"/api/tasks/{task_id}$", nth=1, retry_after=0
    ):
        assert api.tasks.get(task_id)["id"] == task_id
    with cvat_server_fresh.fault(
        action="drop", method="GET", path=rf"/api/tasks/{task_id}$", nth=1
    ):
        assert api.tasks.get(task_id)["id"] == task_id
    with cvat_server_fresh.fault(method="GET", path=rf"/api/tasks/{task_id}$", status=503):
        with pytest.raises(Exception, match="503"):
            api.tasks.get(task_id)
    assert [f for f in cvat_server_fresh.faults()] == []


@pytest.mark.local_cvat_only(reason="injects a processing failure")
def test_processing_failure_carries_the_server_message(api, cvat_server_fresh, tmp_path):
    paths = write_images(str(tmp_path / "e"), 2)
    cvat_server_fresh.inject_fault(action="fail_processing", message="unsupported media")
    with pytest.raises(CVATRequestFailed, match="unsupported media"):
        _upload(api, paths)


def test_resources_and_helpers(api, cvat_server_fresh):
    cvat_server_fresh.create_user("carol", "Annotate-Loop-2026")
    assert api.get_user_id("carol") is not None and api.get_user_id("nobody") is None
    project_id = api.create_project("p1", [{"name": "a", "attributes": []}])
    assert api.get_project_id("p1") == project_id and api.get_project_name(project_id) == "p1"
    assert api.get_empty_projects([project_id]) == [project_id]
    task_id = int(api.tasks.create("t", project_id=project_id)["id"])
    assert api.get_project_tasks(project_id) == [task_id]
    assert api.get_empty_projects([project_id]) == []
    assert api.task_exists(task_id) and task_id in api.list_tasks()
    assert api.task_url(task_id).endswith(f"/api/tasks/{task_id}")
    assert api.base_job_url(task_id, 3) == f"{api.base_url}/tasks/{task_id}/jobs/3"
    api.delete_tasks([task_id, task_id])  # a second delete of a gone task is fine
    assert not api.task_exists(task_id)
    with pytest.raises(CVATNotFound):
        api.tasks.get(task_id)
    api.delete_project(project_id)
    assert api.list_projects() == []


def test_data_options_reach_the_task(api, tmp_path):
    paths = write_images(str(tmp_path / "f"), 3)
    task_id = _task(api)
    options = DataOptions(image_quality=42, chunk_size=2, use_cache=False, use_zip_chunks=False)
    wait_for_request(api.client, upload_media(api.client, task_id, paths, options), task_id=task_id)
    task = api.tasks.get(task_id)
    assert (task["image_quality"], task["data_chunk_size"]) == (42, 2)
    assert api.tasks.data_meta(task_id)["size"] == 3
