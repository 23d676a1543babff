"""CVAT options of the images backend against the local server: projects, assignees,
task splitting, failures that leave nothing behind, deleted tasks, status."""

from __future__ import annotations

import logging

import pytest

from labelloop.core.labels import Classification, Detection, Detections
from labelloop.cvat.errors import CVATRequestFailed, CVATUnsupportedVersion
from labelloop.testing.cvat_server import LocalCVATServer
from tests.cvat.helpers import image_dataset, make_backend, server_json

SCHEMA = {"gt": {"type": "detections", "classes": ["cat", "dog"], "attributes": {}}}


def _dets(i):
    return Detections(
        detections=[Detection(label="cat", bounding_box=[0.1, 0.1, 0.2, 0.2 + i / 100])]
    )


def _task_ids(server):
    return sorted(t["id"] for t in server_json(server, "/api/tasks", page_size=100)["results"])


def _project_ids(server):
    return sorted(p["id"] for p in server_json(server, "/api/projects", page_size=100)["results"])


@pytest.mark.local_cvat_only(reason="injects a processing failure")
def test_failed_processing_removes_every_task_and_reports_the_server_message(
    cvat_server_fresh, tmp_path
):
    server = cvat_server_fresh
    dataset = image_dataset(tmp_path, 4, gt=_dets)
    backend = make_backend(server, SCHEMA, task_size=2, project_name="doomed")
    server.inject_fault(action="fail_processing", nth=2, message="corrupt image in upload")
    with pytest.raises(CVATRequestFailed, match="corrupt image in upload"):
        backend.upload_annotations(dataset, "fail")
    assert _task_ids(server) == []
    assert _project_ids(server) == []


def test_task_names_project_reuse_and_cleanup(cvat_server_fresh, tmp_path):
    server = cvat_server_fresh
    dataset = image_dataset(tmp_path, 5, gt=_dets)
    first = make_backend(server, SCHEMA, task_size=2, task_name="batch", project_name="proj")
    results = first.upload_annotations(dataset, "a")
    names = [server_json(server, f"/api/tasks/{t}")["name"] for t in results.task_ids]
    assert names == ["batch_1", "batch_2", "batch_3"]
    assert len(results.project_ids) == 1
    project_id = results.project_ids[0]
    assert {server_json(server, f"/api/tasks/{t}")["project_id"] for t in results.task_ids} == {
        project_id
    }

    # a second run reuses the project (by name) and takes its classes from it
    second = make_backend(
        server, {"other": {"type": "detections", "classes": ["ignored"]}}, project_name="proj"
    )
    again = second.upload_annotations(dataset, "b")
    assert again.project_ids == []  # not created by this run
    assert second.config.label_schema["other"]["classes"][0]["classes"] == ["cat"]

    # cleanup of the first run deletes its tasks but keeps the project, which is not empty
    results.cleanup()
    assert _project_ids(server) == [project_id]
    again.cleanup()
    assert _project_ids(server) == [project_id]  # never deleted: the second run did not create it
    # now empty -> a run that created it deletes it (emptiness decided by listing tasks on 2.x)
    results.project_ids = [project_id]
    results.cleanup()
    assert _project_ids(server) == [] and _task_ids(server) == []


def test_missing_project_id_is_refused_before_anything_is_created(cvat_server_fresh, tmp_path):
    dataset = image_dataset(tmp_path, 1, gt=_dets)
    backend = make_backend(cvat_server_fresh, SCHEMA, project_id=999)
    with pytest.raises(ValueError, match="999 does not exist"):
        backend.upload_annotations(dataset, "x")
    assert _task_ids(cvat_server_fresh) == []


def test_assignees_round_robin_and_status_shows_usernames(
    cvat_server_fresh, tmp_path, caplog, capsys
):
    server = cvat_server_fresh
    for name in ("alice", "bobby"):
        server.create_user(name, "Annotate-Loop-2026")  # what CVAT accepts
    dataset = image_dataset(tmp_path, 6, gt=_dets)
    backend = make_backend(
        server,
        SCHEMA,
        task_size=3,
        segment_size=1,
        task_assignee=["bobby", "alice"],
        job_assignees=["alice", "bobby", "nobody"],
        issue_tracker="https://issues.example/1",
    )
    with caplog.at_level(logging.WARNING):
        results = backend.upload_annotations(dataset, "assign")
    assert "No CVAT user named 'nobody'" in caplog.text
    status = results.get_status()["gt"]
    # CVAT's user objects, as the reference returns them: scripts index ["username"]
    assert [status[t]["assignee"]["username"] for t in results.task_ids] == ["bobby", "alice"]
    job_users = [
        job["assignee"] and job["assignee"]["username"]
        for t in results.task_ids
        for job in status[t]["jobs"].values()
    ]
    assert job_users == ["alice", "bobby", None, "alice", "bobby", None]
    assert (
        server_json(server, f"/api/tasks/{results.task_ids[0]}")["bug_tracker"]
        == "https://issues.example/1"
    )
    capsys.readouterr()
    results.print_status()
    out = capsys.readouterr().out
    assert "Assignee: bobby" in out and "{'id'" not in out
    results.cleanup()


def test_deleted_task_is_skipped_with_a_warning_everywhere(cvat_server_fresh, tmp_path, caplog):
    server = cvat_server_fresh
    dataset = image_dataset(tmp_path, 4, gt=_dets)
    backend = make_backend(server, SCHEMA, task_size=2)
    results = backend.upload_annotations(dataset, "del")
    gone, kept = results.task_ids
    with server.client() as client:
        client.delete(f"/api/tasks/{gone}").raise_for_status()
    with caplog.at_level(logging.WARNING):
        annotations = backend.download_annotations(results)
        status = results.get_status()
    assert f"Skipping task {gone}" in caplog.text
    assert set(status["gt"]) == {kept}
    kept_samples = {f["sample_id"] for f in results.frame_id_map[kept].values()}
    assert set(annotations["gt"]["detections"]) == kept_samples
    results.cleanup()  # deleting the vanished task again is not an error
    assert _task_ids(server) == []


def test_delete_tasks_forgets_their_samples(cvat_server_fresh, tmp_path):
    dataset = image_dataset(tmp_path, 4, gt=_dets)
    backend = make_backend(cvat_server_fresh, SCHEMA, task_size=2)
    results = backend.upload_annotations(dataset, "forget")
    first = results.task_ids[0]
    samples = {f["sample_id"] for f in results.frame_id_map[first].values()}
    results.delete_tasks([first])
    assert first not in results.task_ids and first not in results.server_id_map
    assert not samples & set(results.id_map["gt"])
    assert _task_ids(cvat_server_fresh) == results.task_ids
    results.cleanup()


def test_results_survive_a_json_round_trip(cvat_server, tmp_path):
    dataset = image_dataset(tmp_path, 2, gt=_dets, weather=lambda i: Classification(label="sunny"))
    schema = {
        **SCHEMA,
        "weather": {"type": "classification", "classes": ["sunny"], "attributes": {}},
    }
    backend = make_backend(cvat_server, schema)
    results = backend.upload_annotations(dataset, "json")
    try:
        data = results.to_dict()
        rebuilt = type(results).from_dict(data, dataset, backend.config, "json")
        assert rebuilt.server_id_map == results.server_id_map
        assert rebuilt.frame_id_map == results.frame_id_map
        assert rebuilt.job_ids == results.job_ids
        rebuilt.use_api(backend.connect_to_api())
        assert (
            backend.download_annotations(rebuilt)["gt"]
            == backend.download_annotations(results)["gt"]
        )
    finally:
        results.cleanup()


def test_existing_project_without_provenance_attribute_gets_it(cvat_server_fresh, tmp_path):
    server = cvat_server_fresh
    with server.client() as client:
        project = client.post(
            "/api/projects",
            json={
                "name": "made-in-cvat",
                "labels": [{"name": "cat", "attributes": []}, {"name": "dog", "attributes": []}],
            },
        ).json()
    dataset = image_dataset(tmp_path, 2, gt=_dets)
    backend = make_backend(
        server, {"gt": {"type": "detections", "classes": ["ignored"]}}, project_id=project["id"]
    )
    results = backend.upload_annotations(dataset, "external")
    try:
        labels = server_json(server, "/api/labels", project_id=project["id"])["results"]
        assert all(any(a["name"] == "label_id" for a in label["attributes"]) for label in labels)
        downloaded = backend.download_annotations(results)["gt"]["detections"]
        uploaded = {s.id: {d.id for d in s.gt.detections} for s in dataset.iter_samples()}
        assert {s: set(v) for s, v in downloaded.items()} == uploaded
        assert results.project_ids == []
    finally:
        results.cleanup()
    assert _project_ids(server) == [project["id"]]


def test_older_servers_keep_sample_order_and_ancient_ones_are_refused(tmp_path):
    dataset = image_dataset(tmp_path, 3, gt=_dets)
    reversed_view = dataset.sort_by("filepath", reverse=True)
    with LocalCVATServer(tmp_path / "old", username="u", password="p", version="2.4.0") as server:
        backend = make_backend(server, SCHEMA)
        results = backend.upload_annotations(reversed_view, "old")
        frames = results.frame_id_map[results.task_ids[0]]
        assert [frames[i]["sample_id"] for i in range(3)] == [
            s.id for s in reversed_view.iter_samples()
        ]
        names = [
            f["name"]
            for f in server_json(server, f"/api/tasks/{results.task_ids[0]}/data/meta")["frames"]
        ]
        assert names == ["000000_img0002.jpg", "000001_img0001.jpg", "000002_img0000.jpg"]
    with LocalCVATServer(
        tmp_path / "ancient", username="u", password="p", version="1.7.0"
    ) as server:
        with pytest.raises(CVATUnsupportedVersion, match="2.0"):
            make_backend(server, SCHEMA).upload_annotations(dataset, "ancient")


def test_empty_existing_project_takes_the_run_schema(cvat_server_fresh, tmp_path):
    server = cvat_server_fresh
    with server.client() as client:
        project = client.post("/api/projects", json={"name": "empty", "labels": []}).json()
    dataset = image_dataset(tmp_path, 1, gt=_dets)
    backend = make_backend(server, SCHEMA, project_name="empty")
    results = backend.upload_annotations(dataset, "empty")
    try:
        names = {
            x["name"]
            for x in server_json(server, "/api/labels", project_id=project["id"])["results"]
        }
        assert names == {"cat", "dog"}
        assert (
            len(next(iter(backend.download_annotations(results)["gt"]["detections"].values()))) == 1
        )
    finally:
        results.cleanup()
