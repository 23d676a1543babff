"""The spec's loop through the public API: dataset.annotate() -> edits in CVAT -> load_annotations()."""

from __future__ import annotations

import pytest

from labelloop.core.labels import Detection, Detections
from labelloop.cvat.errors import CVATRequestFailed
from tests.cvat.helpers import image_dataset, job_annotations, save_job, server_json


def _dets(i):
    return Detections(
        detections=[
            Detection(label="cat", bounding_box=[0.1, 0.1, 0.2, 0.2], iscrowd=0),
            Detection(label="dog", bounding_box=[0.5, 0.5, 0.25, 0.25], iscrowd=1),
        ]
    )


def _creds(server):
    return {"url": server.url, "username": server.username, "password": server.password}


def _spec_ids(server, task_id):
    labels = server_json(server, "/api/labels", task_id=task_id)["results"]
    label_ids = {label["name"]: label["id"] for label in labels}
    attr_ids = {
        (label["name"], a["name"]): a["id"] for label in labels for a in label["attributes"]
    }
    return label_ids, attr_ids


def test_edits_made_in_cvat_merge_back_by_label_id(cvat_server, tmp_path):
    dataset = image_dataset(tmp_path, 2, gt=_dets)
    before = {s.id: s.gt for s in dataset.iter_samples()}
    results = dataset.annotate("edits", label_field="gt", **_creds(cvat_server))
    (task_id,) = results.task_ids
    label_ids, attr_ids = _spec_ids(cvat_server, task_id)
    job_id, ann = job_annotations(cvat_server, task_id)
    frame0 = results.frame_id_map[task_id][0]["sample_id"]
    cat, dog = before[frame0].detections
    by_label_id = {
        next(
            a["value"]
            for a in s["attributes"]
            if a["spec_id"] == attr_ids[("cat", "label_id")]
            or a["spec_id"] == attr_ids[("dog", "label_id")]
        ): s
        for s in ann["shapes"]
    }
    # move the cat box; relabel the dog as a cat, which clears its label_id (CVAT resets
    # attributes on a label change), so provenance must come from the server-id map
    by_label_id[cat.id]["points"] = [0.0, 0.0, 32.0, 24.0]
    relabeled = by_label_id[dog.id]
    relabeled["label_id"] = label_ids["cat"]
    relabeled["attributes"] = []
    save_job(cvat_server, job_id, "update", {"shapes": [by_label_id[cat.id], relabeled]})
    # a new box drawn by the annotator
    new_box = (
        {
            "type": "rectangle",
            "label_id": label_ids["dog"],
            "frame": 0,
            "points": [1, 1, 5, 5],
            "occluded": False,
            "z_order": 0,
            "group": 0,
            "source": "manual",
            "attributes": [],
            "rotation": 0,
        },
    )
    save_job(cvat_server, job_id, "create", {"shapes": list(new_box)})

    dataset.load_annotations("edits", cleanup=True, **_creds(cvat_server))
    sample = next(s for s in dataset.iter_samples() if s.id == frame0)
    edited = {d.id: d for d in sample.gt.detections}
    original = {d.label: d for d in before[frame0].detections}
    assert edited[original["cat"].id].bounding_box == pytest.approx([0.0, 0.0, 0.5, 0.5])
    assert edited[original["dog"].id].label == "cat"  # same label, relabeled in place
    assert len(edited) == 3 and sum(d.label == "dog" for d in edited.values()) == 1
    assert task_id not in [
        t["id"] for t in server_json(cvat_server, "/api/tasks", page_size=100)["results"]
    ]


@pytest.mark.local_cvat_only(reason="injects a processing failure")
def test_failed_annotate_leaves_no_run_and_no_task(cvat_server_fresh, tmp_path):
    server = cvat_server_fresh
    dataset = image_dataset(tmp_path, 2, gt=_dets)
    server.inject_fault(action="fail_processing", message="disk full")
    with pytest.raises(CVATRequestFailed, match="disk full"):
        dataset.annotate("broken", label_field="gt", **_creds(server))
    assert not dataset.has_annotation_run("broken")
    assert server_json(server, "/api/tasks")["count"] == 0
