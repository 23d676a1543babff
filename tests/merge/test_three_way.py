"""Three-way merge (issue 15): what the run sent vs CVAT now vs the dataset now.

Each test edits the dataset after ``annotate()`` the way users do, lets a person edit other
(or the same) labels in CVAT, loads, and checks by label id that only the person's changes
were applied, local edits were kept, and conflicts were reported and resolved as asked.
"""

from __future__ import annotations

import logging

import pytest

from labelloop.annotation.merge import MergeConflictError
from tests.merge.helpers import creds, image_dataset, labels_by_id, person


def _run(dataset, server, key="run"):
    return dataset.annotate(key, label_field="gt", attributes=["note"], **creds(server))


def _shapes(server, results):
    """``{label_id: (job id, shape id)}`` of the run's shapes in CVAT."""
    out = {}
    with person(server) as someone:
        for task_id in results.task_ids:
            for job in someone.jobs(task_id):
                labels = {spec["id"]: spec for spec in someone.task(task_id).labels()}
                for shape in someone.annotations(job["id"])["shapes"]:
                    spec = labels[shape["label_id"]]
                    names = {a["id"]: a["name"] for a in spec["attributes"]}
                    attrs = {names[a["spec_id"]]: a["value"] for a in shape["attributes"]}
                    out[attrs["label_id"]] = (job["id"], shape["id"])
    return out


def _edit(dataset, label_id, **changes):
    for sample in dataset.iter_samples(autosave=True):
        for det in list(sample.gt.detections):
            if det.id == label_id:
                if changes.pop("_delete", False):
                    sample.gt.detections = [d for d in sample.gt.detections if d.id != label_id]
                for name, value in changes.items():
                    det[name] = value


def test_local_edits_are_kept_when_the_annotator_did_not_touch_them(server, tmp_path):
    dataset = image_dataset(tmp_path, 3, per_sample=2, note="draft")
    results = _run(dataset, server)
    ids = sorted(labels_by_id(dataset))
    fixed, relabelled, removed, touched = ids[0], ids[1], ids[2], ids[3]
    cleared_sample = dataset.last()
    _edit(dataset, fixed, note="fixed locally")
    _edit(
        dataset,
        relabelled,
        label="dog" if labels_by_id(dataset)[relabelled]["label"] == "cat" else "cat",
    )
    _edit(dataset, removed, _delete=True)
    cleared_sample.gt = None
    cleared_sample.save()
    local = labels_by_id(dataset)
    shapes = _shapes(server, results)
    with person(server) as someone:
        someone.set_attributes(*shapes[touched], {"note": "by the annotator"})

    report = dataset.load_annotations("run", **creds(server))

    after = labels_by_id(dataset)
    expected = dict(local)
    expected[touched] = {**local[touched], "note": "by the annotator"}
    assert after == expected
    assert report.fields["gt"].to_dict() == {"added": 0, "deleted": 0, "edited": 1, "refused": {}}
    [item] = report.fields["gt"].items
    assert (item.kind, item.label_id, item.changes) == (
        "edited",
        touched,
        {"note": ["draft", "by the annotator"]},
    )
    again = dataset.load_annotations("run", **creds(server))  # a second load changes nothing
    assert labels_by_id(dataset) == after and not again.fields["gt"].items


def test_a_second_run_does_not_revert_the_first(server, tmp_path):
    dataset = image_dataset(tmp_path, 2, per_sample=2, note="")
    run_a = _run(dataset, server, "a")
    run_b = _run(dataset, server, "b")
    ids = sorted(labels_by_id(dataset))
    with person(server) as someone:
        someone.set_attributes(*_shapes(server, run_a)[ids[0]], {"note": "set in A"})
        job, shape = _shapes(server, run_b)[ids[1]]
        someone.delete_shapes(job, [shape])
    dataset.load_annotations("a", **creds(server))
    dataset.load_annotations("b", **creds(server))
    after = labels_by_id(dataset)
    assert after[ids[0]]["note"] == "set in A"  # B's untouched copy does not revert it
    assert ids[1] not in after  # deleted in B
    dataset.load_annotations("a", **creds(server))  # A's untouched copy does not bring it back
    assert labels_by_id(dataset) == after


@pytest.mark.parametrize("mode", ["cvat", "dataset", "error"])
def test_conflicting_edits_follow_the_conflicts_argument(server, tmp_path, caplog, mode):
    dataset = image_dataset(tmp_path, 1, per_sample=2, note="draft")
    results = _run(dataset, server)
    edited, deleted_there = sorted(labels_by_id(dataset))
    _edit(dataset, edited, note="mine")
    _edit(dataset, deleted_there, note="also mine")
    shapes = _shapes(server, results)
    with person(server) as someone:
        someone.set_attributes(*shapes[edited], {"note": "theirs"})
        someone.delete_shapes(shapes[deleted_there][0], [shapes[deleted_there][1]])
    before = labels_by_id(dataset)
    caplog.set_level(logging.WARNING)

    if mode == "error":
        with pytest.raises(MergeConflictError, match="2 conflict") as raised:
            dataset.load_annotations("run", conflicts="error", **creds(server))
        assert labels_by_id(dataset) == before  # nothing written
        assert len(raised.value.report.fields["gt"].conflicts) == 2
        return
    report = dataset.load_annotations("run", conflicts=mode, **creds(server))

    after = labels_by_id(dataset)
    conflicts = {c.label_id: c for c in report.fields["gt"].conflicts}
    assert set(conflicts) == {edited, deleted_there}
    assert conflicts[edited].changes == {"note": ["mine", "theirs"]}
    assert "deleted in CVAT" in conflicts[deleted_there].reason
    assert {c.resolution for c in conflicts.values()} == {mode}
    if mode == "cvat":
        assert after[edited]["note"] == "theirs" and deleted_there not in after
    else:
        assert after == before
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert sum(edited in m or deleted_there in m for m in warnings) >= 2


def test_dry_run_itemises_without_writing(server, tmp_path):
    dataset = image_dataset(tmp_path, 1, per_sample=2, note="draft")
    results = _run(dataset, server)
    first, second = sorted(labels_by_id(dataset))
    shapes = _shapes(server, results)
    with person(server) as someone:
        someone.move_shape(*shapes[first], 4, 2)
        someone.delete_shapes(shapes[second][0], [shapes[second][1]])
    before = labels_by_id(dataset)
    report = dataset.load_annotations("run", dry_run=True, **creds(server))
    assert labels_by_id(dataset) == before
    kinds = {item.label_id: item for item in report.fields["gt"].items}
    assert kinds[first].kind == "edited" and set(kinds[first].changes) == {"bounding_box"}
    old, new = kinds[first].changes["bounding_box"]
    assert new[0] > old[0] and new[1] > old[1]
    assert kinds[second].kind == "deleted"
    assert report.to_dict()["items"]["gt"][0]["label_id"] in (first, second)


def test_runs_without_a_base_fall_back_with_a_warning(server, tmp_path, caplog):
    dataset = image_dataset(tmp_path, 1, per_sample=2, note="draft")
    _run(dataset, server)
    first, _ = sorted(labels_by_id(dataset))
    dataset._store.delete_run_docs(dataset._id, "run")  # as runs recorded before bases existed
    _edit(dataset, first, note="local")
    caplog.set_level(logging.WARNING)
    dataset.load_annotations("run", **creds(server))
    assert labels_by_id(dataset)[first]["note"] == "draft"  # today's two-way outcome
    assert any("merge base" in r.getMessage() for r in caplog.records)
    _edit(dataset, first, note="local again")
    dataset.load_annotations("run", **creds(server))  # the first load gave the run a base
    assert labels_by_id(dataset)[first]["note"] == "local again"


def test_the_base_is_deleted_and_renamed_with_the_run(server, tmp_path):
    dataset = image_dataset(tmp_path, 1)
    _run(dataset, server)
    store, key = dataset._store, dataset._id
    assert store.has_run_docs(key, "run")
    dataset.rename_annotation_run("run", "renamed")
    assert store.has_run_docs(key, "renamed") and not store.has_run_docs(key, "run")
    dataset.load_annotations("renamed", **creds(server))
    dataset.delete_annotation_run("renamed")
    assert not store.has_run_docs(key, "renamed")
