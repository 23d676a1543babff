"""Reloads are idempotent and untouched round trips change nothing (issue 15, "Stable identity").

A shape copy-pasted in CVAT carries the original's ``label_id``; it must get the same id on
every load (so tags put on it survive reloads), and ``""``/``0``/``False``/``None``
attribute values must come back exactly as they were sent.
"""

from __future__ import annotations

from tests.cvat.helpers import server_json
from tests.merge.helpers import creds, image_dataset, labels_by_id, person


def test_copy_pasted_shape_keeps_one_id_across_reloads(server, tmp_path):
    dataset = image_dataset(tmp_path, 1, per_sample=1)
    results = dataset.annotate("run", label_field="gt", **creds(server))
    [task_id] = results.task_ids
    uploaded = {d.id for d in dataset.first().gt.detections}
    [job] = server_json(server, "/api/jobs", task_id=task_id)["results"]
    with person(server) as someone:
        [original] = someone.annotations(job["id"])["shapes"]
        copy = {k: original[k] for k in ("type", "label_id", "frame", "points", "attributes")}
        copy["points"] = [p + 5 for p in original["points"]]
        extra = {"occluded": False, "z_order": 0, "rotation": 0.0, "group": 0, "source": "manual"}
        someone._patch(job["id"], "create", {"shapes": [{**copy, **extra}]})
    first = dataset.load_annotations("run", **creds(server))
    assert first.fields["gt"].added == 1
    ids = set(labels_by_id(dataset))
    assert len(ids) == 2
    sample = dataset.first()
    pasted = next(d for d in sample.gt.detections if d.id not in uploaded)
    pasted.tags = ["checked"]
    sample.save()
    tagged = labels_by_id(dataset)

    second = dataset.load_annotations("run", **creds(server))

    assert labels_by_id(dataset) == tagged  # same ids, the tag kept
    assert second.fields["gt"].to_dict() == {"added": 0, "deleted": 0, "edited": 0, "refused": {}}


def test_empty_zero_false_and_missing_attributes_round_trip_exactly(server, tmp_path):
    dataset = image_dataset(tmp_path, 2, per_sample=2, eval_id="", score=0, flag=False)
    for sample in dataset.iter_samples(autosave=True):
        sample.gt.detections[1].clear_field("flag")  # None: not set at all
    before = labels_by_id(dataset)
    dataset.annotate(
        "run",
        label_field="gt",
        attributes=["eval_id", "score", "flag"],
        **creds(server),
    )
    report = dataset.load_annotations("run", dry_run=True, **creds(server))
    assert report.fields["gt"].to_dict() == {"added": 0, "deleted": 0, "edited": 0, "refused": {}}
    dataset.load_annotations("run", **creds(server))
    assert labels_by_id(dataset) == before
