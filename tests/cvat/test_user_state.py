"""Image runs on data in the state users have it: metadata computed, an evaluation run,
several annotation runs, a stray non-image file among the media."""

from __future__ import annotations

import shutil

import pytest

import labelloop as ll
from tests.cli.data import boxes_dataset
from tests.cli.helpers import run_cli
from tests.cvat.helpers import server_json


def _creds(server) -> dict[str, str]:
    return {"url": server.url, "username": server.username, "password": server.password}


def _evaluated(tmp_path, name: str, count: int = 3) -> ll.Dataset:
    """Boxes in ``gt``, shifted copies in ``pred``, ``evaluate_detections`` run."""
    dataset = boxes_dataset(tmp_path, name, count=count)
    for sample in dataset.iter_samples(autosave=True):
        sample["pred"] = ll.Detections(
            detections=[
                ll.Detection(
                    label=det.label,
                    bounding_box=[v + 0.01 for v in det.bounding_box],
                    confidence=0.9,
                )
                for det in sample.gt.detections
            ]
        )
    dataset.evaluate_detections("pred", gt_field="gt", eval_key="eval")
    return dataset


def test_annotate_fills_missing_metadata_of_uploaded_images(cvat_server_fresh, tmp_path):
    dataset = _evaluated(tmp_path, "meta-images")
    assert dataset.first().metadata is None
    first_id = dataset.first().id
    dataset.select([first_id]).annotate("one", label_field="gt", **_creds(cvat_server_fresh))
    dataset.reload()
    metadata = {s.id: s.metadata for s in dataset}
    assert (metadata[first_id].width, metadata[first_id].height) == (64, 48)
    assert [m for sid, m in metadata.items() if sid != first_id] == [None, None]
    # a second run over everything computes the rest; boxes convert with the stored sizes
    dataset.annotate("two", label_field="pred", **_creds(cvat_server_fresh))
    dataset.reload()
    assert all(s.metadata.width == 64 for s in dataset)


def _with_stray_file(tmp_path, name: str) -> tuple[ll.Dataset, ll.Sample, str]:
    dataset = _evaluated(tmp_path, name)
    bad = dataset.skip(1).first()
    stray = str(tmp_path / "notes.jpg")
    with open(stray, "w") as handle:
        handle.write("not an image\n")
    bad.filepath = stray
    bad.save()
    return dataset, bad, stray


def test_non_image_file_is_refused_before_any_task_naming_sample_and_path(
    cvat_server_fresh, tmp_path
):
    dataset, bad, stray = _with_stray_file(tmp_path, "stray-api")
    dataset.compute_metadata()  # logs the bad file, as users see it
    with pytest.raises(ValueError) as caught:
        dataset.annotate("run", label_field="gt", **_creds(cvat_server_fresh))
    message = str(caught.value)
    assert bad.id in message and stray in message and "nothing was created" in message
    assert server_json(cvat_server_fresh, "/api/tasks")["count"] == 0
    assert not dataset.has_annotation_run("run")


def test_missing_and_non_image_files_listed_together(cvat_server_fresh, tmp_path):
    dataset, bad, stray = _with_stray_file(tmp_path, "stray-missing")
    gone = dataset.first()
    shutil.move(gone.filepath, str(tmp_path / "moved.jpg"))
    with pytest.raises(ValueError) as caught:
        dataset.annotate("run", label_field="gt", **_creds(cvat_server_fresh))
    message = str(caught.value)
    assert "2 of 3 media files" in message
    assert gone.id in message and "does not exist" in message and bad.id in message
    assert server_json(cvat_server_fresh, "/api/tasks")["count"] == 0


def test_cli_refuses_non_image_file_with_exit_1(cvat_server_fresh, tmp_path):
    server = cvat_server_fresh
    dataset, bad, stray = _with_stray_file(tmp_path, "stray-cli")
    result = run_cli(
        "annotate", "stray-cli", "run", "--label-field", "gt", "--url", server.url,
        "--username", server.username, "--password", server.password,
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert bad.id in result.output and stray in result.output
    assert server_json(server, "/api/tasks")["count"] == 0


def test_class_attributes_with_default_attributes_true_are_accepted(cvat_server_fresh, tmp_path):
    dataset = _evaluated(tmp_path, "class-attrs")  # gt boxes carry eval, eval_id, iscrowd
    for sample in dataset.iter_samples(autosave=True):
        for det in sample.gt.detections:
            det["iscrowd"] = 0
    label_schema = {
        "gt": {
            "classes": [
                {
                    "classes": ["cat"],
                    "attributes": {"iscrowd": {"type": "radio", "values": [0, 1]}},
                },
                "dog",
            ]
        }
    }
    results = dataset.annotate("classes", label_schema=label_schema, **_creds(cvat_server_fresh))
    (task_id,) = results.task_ids
    labels = {
        label["name"]: {a["name"]: a for a in label["attributes"]}
        for label in server_json(cvat_server_fresh, "/api/labels", task_id=task_id)["results"]
    }
    assert labels["cat"]["iscrowd"]["input_type"] == "radio"  # the class group's spec wins
    assert labels["dog"]["iscrowd"]["input_type"] == "text"  # inferred for the other classes
    assert "eval" in labels["dog"]  # attributes=True still infers the rest
    stored = dataset.get_annotation_info("classes").config["label_schema"]["gt"]
    assert stored["attributes"]["iscrowd"]["type"] == "text"
    report = dataset.load_annotations("classes", **_creds(cvat_server_fresh))
    diff = report.fields["gt"]
    assert (diff.added, diff.deleted, diff.edited) == (0, 0, 0)  # nothing changed in CVAT


def _project_labels(server, project_id: int) -> list:
    labels = server_json(server, "/api/labels", project_id=project_id)["results"]
    return sorted((lab["name"], sorted(a["name"] for a in lab["attributes"])) for lab in labels)


def test_existing_project_refuses_occluded_typed_attributes_before_any_change(
    cvat_server_fresh, tmp_path
):
    from labelloop.testing.annotator import Annotator

    server = cvat_server_fresh
    dataset = _evaluated(tmp_path, "flags-project", count=2)
    for sample in dataset.iter_samples(autosave=True):
        for det in sample.gt.detections:
            det["occluded"] = False
    first = dataset.limit(1).annotate(
        "first", label_field="gt", attributes=False, project_name="flags", **_creds(server)
    )
    (project_id,) = first.project_ids
    before = (_project_labels(server, project_id), server_json(server, "/api/tasks")["count"])
    second = dataset.skip(1)
    for attributes in (True, {"occluded": {"type": "occluded"}}):  # inferred or explicit
        with pytest.raises(ValueError, match="occluded_attr='occluded'"):
            second.annotate(
                "second", label_field="gt", attributes=attributes, project_name="flags",
                **_creds(server),
            )  # fmt: skip
        after = (_project_labels(server, project_id), server_json(server, "/api/tasks")["count"])
        assert after == before and not dataset.has_annotation_run("second")
    # the parameter the message names binds the flag, and it round trips
    results = second.annotate(
        "second", label_field="gt", project_name="flags", occluded_attr="occluded",
        **_creds(server),
    )  # fmt: skip
    (task_id,) = results.task_ids
    with Annotator(server.url, server.username, server.password) as person:
        job_id = person.jobs(task_id)[0]["id"]
        shape = person.annotations(job_id)["shapes"][0]
        assert shape["occluded"] is False
        person.toggle_occluded(job_id, shape["id"])
    dataset.load_annotations("second", **_creds(server))
    flags = sorted(det.occluded for det in second.first().gt.detections)
    assert flags == [False, True]


def test_occluded_attr_round_trips_with_attributes_false(cvat_server_fresh, tmp_path):
    from labelloop.testing.annotator import Annotator

    server = cvat_server_fresh
    dataset = _evaluated(tmp_path, "flags-plain", count=1)
    results = dataset.annotate(
        "run", label_field="gt", attributes=False, occluded_attr="hidden", **_creds(server)
    )
    (task_id,) = results.task_ids
    with Annotator(server.url, server.username, server.password) as person:
        job_id = person.jobs(task_id)[0]["id"]
        shape = person.annotations(job_id)["shapes"][0]
        person.toggle_occluded(job_id, shape["id"])
    dataset.load_annotations("run", **_creds(server))
    hidden = sorted(det.get_field("hidden") is True for det in dataset.first().gt.detections)
    assert hidden == [False, True]
