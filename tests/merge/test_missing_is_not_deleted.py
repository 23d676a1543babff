"""What could not be read is never taken for a deletion (issue 15, "Missing is not deleted").

Each test makes part of a run unreadable the way it happens to users (a task deleted on the
server, one job answering 404/403, a job missing from the job list), lets a person edit the
rest in CVAT, and checks by label id that the unreadable samples keep every label, the rest
is merged, and the report names what was skipped.
"""

from __future__ import annotations

import pytest

from tests.cvat.helpers import server_json
from tests.merge.helpers import creds, ids_by_sample, image_dataset, person, samples_of_task


def _delete_first_box_of_every_job(server, task_ids):
    with person(server) as someone:
        for task_id in task_ids:
            for job in someone.jobs(task_id):
                shapes = someone.annotations(job["id"])["shapes"]
                someone.delete_shapes(job["id"], [shapes[0]["id"]])


def test_deleted_task_keeps_its_labels_and_is_reported(server, tmp_path):
    dataset = image_dataset(tmp_path, 4)
    results = dataset.annotate("run", label_field="gt", task_size=2, **creds(server))
    gone, kept = results.task_ids
    before = ids_by_sample(dataset)
    _delete_first_box_of_every_job(server, [kept])
    with person(server) as someone:
        someone._call("DELETE", f"/api/tasks/{gone}")

    report = dataset.load_annotations("run", **creds(server))

    after = ids_by_sample(dataset)
    for sample_id in samples_of_task(results, gone):
        assert after[sample_id] == before[sample_id]  # nothing of the deleted task deleted
    # the person's deletion (one box of the kept task's job) was applied
    assert sum(len(after[s]) for s in samples_of_task(results, kept)) == 3
    assert report.fields["gt"].deleted == 1
    [skip] = report.skipped
    assert skip["source"] == f"task {gone}" and "404" in skip["reason"]
    assert sorted(skip["samples"]) == sorted(samples_of_task(results, gone))
    # the run stays usable: status skips the deleted task, a second load changes nothing
    status = dataset.load_annotation_results("run", **creds(server)).get_status()
    assert list(status["gt"]) == [kept]
    again = dataset.load_annotations("run", **creds(server))
    assert ids_by_sample(dataset) == after
    assert again.fields["gt"].to_dict()["deleted"] == 0


@pytest.mark.local_cvat_only(reason="injects a 404/403 on one job")
@pytest.mark.parametrize("status", [404, 403])
def test_unreadable_job_keeps_its_frames_labels(server, tmp_path, status):
    dataset = image_dataset(tmp_path, 4)
    results = dataset.annotate("run", label_field="gt", segment_size=2, **creds(server))
    [task_id] = results.task_ids
    _delete_first_box_of_every_job(server, [task_id])
    jobs = server_json(server, "/api/jobs", task_id=task_id)["results"]
    assert len(jobs) == 2
    broken = jobs[0]
    before = ids_by_sample(dataset)
    frames = results.frame_id_map[task_id]
    unread = [
        frames[f]["sample_id"] for f in range(broken["start_frame"], broken["stop_frame"] + 1)
    ]

    with server.fault(
        method="GET", path=rf"^/api/jobs/{broken['id']}/annotations/?$", status=status
    ):
        report = dataset.load_annotations("run", **creds(server))

    after = ids_by_sample(dataset)
    for sample_id in unread:
        assert after[sample_id] == before[sample_id]
    assert sum(len(ids) for sid, ids in after.items() if sid not in unread) == 3
    [skip] = report.skipped
    assert skip["source"] == f"task {task_id}, job {broken['id']}"
    assert str(status) in skip["reason"]
    assert sorted(skip["samples"]) == sorted(unread)
    # once the job answers again, its frames merge too
    dataset.load_annotations("run", **creds(server))
    assert sum(len(ids) for ids in ids_by_sample(dataset).values()) == 6


@pytest.mark.local_cvat_only(reason="injects a job listing without one job")
def test_job_missing_from_the_list_keeps_its_frames_labels(server, tmp_path):
    dataset = image_dataset(tmp_path, 4)
    results = dataset.annotate("run", label_field="gt", segment_size=2, **creds(server))
    [task_id] = results.task_ids
    _delete_first_box_of_every_job(server, [task_id])
    listing = server_json(server, "/api/jobs", task_id=task_id)
    hidden = listing["results"][1]
    shown = {**listing, "count": 1, "results": listing["results"][:1]}
    before = ids_by_sample(dataset)
    frames = results.frame_id_map[task_id]
    unread = [
        frames[f]["sample_id"] for f in range(hidden["start_frame"], hidden["stop_frame"] + 1)
    ]

    with server.fault(method="GET", path=r"^/api/jobs/?$", status=200, body=shown):
        report = dataset.load_annotations("run", **creds(server))

    after = ids_by_sample(dataset)
    for sample_id in unread:
        assert after[sample_id] == before[sample_id]
    assert sum(len(ids) for sid, ids in after.items() if sid not in unread) == 3
    [skip] = report.skipped
    assert skip["source"] == f"task {task_id}" and "no job" in skip["reason"]
    assert skip["frames"] is None and sorted(skip["samples"]) == sorted(unread)


def test_dry_run_reports_skips_without_writing(server, tmp_path):
    dataset = image_dataset(tmp_path, 2)
    results = dataset.annotate("run", label_field="gt", **creds(server))
    before = ids_by_sample(dataset)
    with person(server) as someone:
        someone._call("DELETE", f"/api/tasks/{results.task_ids[0]}")
    report = dataset.load_annotations("run", dry_run=True, **creds(server))
    assert report.to_dict()["skipped"][0]["source"] == f"task {results.task_ids[0]}"
    assert report.fields["gt"].deleted == 0
    assert ids_by_sample(dataset) == before


def test_deleted_video_task_keeps_its_frame_labels(server, tmp_path):
    from tests.cvat_video.helpers import box, boxes, frame_labels, video_dataset

    dataset = video_dataset(
        tmp_path, count=2, frames=6, labels=lambda v, n: boxes(box("cat", 0.1, 0.1))
    )
    results = dataset.annotate("run", label_field="frames.detections", **creds(server))
    before = {
        v: {n: [d.id for d in ds] for n, ds in frame_labels(dataset, video=v).items()}
        for v in (0, 1)
    }
    with person(server) as someone:
        someone._call("DELETE", f"/api/tasks/{results.task_ids[0]}")
        job = someone.jobs(results.task_ids[1])[0]
        shapes = someone.annotations(job["id"])["shapes"]
        someone.delete_shapes(job["id"], [s["id"] for s in shapes if s["frame"] == 0])

    report = dataset.load_annotations("run", **creds(server))

    after = {
        v: {n: [d.id for d in ds] for n, ds in frame_labels(dataset, video=v).items()}
        for v in (0, 1)
    }
    assert after[0] == before[0]  # the deleted task's video keeps every frame label
    assert sorted(after[1]) == list(range(2, 7))  # frame 1's box deleted by the person
    assert report.skipped[0]["source"] == f"task {results.task_ids[0]}"
