"""Reloads are idempotent and untouched round trips change nothing (issue 15, "Stable identity").

A shape copy-pasted in CVAT carries the original's ``label_id``; it must get the same id on
every load (so tags put on it survive reloads), and ``""``/``0``/``False``/``None``
attribute values must come back exactly as they were sent. Ids derived for objects
without a known ``label_id`` name their server too: two servers' task 1 must not collide.
"""

from __future__ import annotations

import pytest

from labelloop.cvat.read import server_identity, task_source
from labelloop.testing.cvat_server import LocalCVATServer
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


@pytest.mark.local_cvat_only(reason="starts two new local servers, whose task ids repeat")
def test_shapes_drawn_on_two_servers_task_of_one_id_stay_two_labels(tmp_path):
    dataset = image_dataset(tmp_path, 1, per_sample=1)
    with (
        LocalCVATServer(tmp_path / "one", username="admin", password="one-pw") as server,
        LocalCVATServer(tmp_path / "other", username="admin", password="other-pw") as other,
    ):
        drawn = {}
        for key, where, x in (("a", server, 10), ("b", other, 30)):
            [task_id] = dataset.annotate(key, label_field="gt", **creds(where)).task_ids
            [job] = server_json(where, "/api/jobs", task_id=task_id)["results"]
            with person(where) as someone:
                shape = someone.add_shape(
                    job["id"], type="rectangle", label="cat", points=[x, 5, x + 10, 20], frame=0
                )
            drawn[key] = (task_id, shape)
        # the same task and shape ids on both servers: only the server tells them apart
        assert drawn["a"] == drawn["b"]
        dataset.load_annotations("a", **creds(server))
        dataset.load_annotations("b", **creds(other))
        lefts = sorted(round(d.bounding_box[0] * 64) for d in dataset.first().gt.detections)
        assert len(lefts) == 3 and {10, 30} <= set(lefts)  # neither drawn box took the other's id
        before = labels_by_id(dataset)
        again = [
            dataset.load_annotations("a", **creds(server)),
            dataset.load_annotations("b", **creds(other)),
        ]
    assert labels_by_id(dataset) == before
    for report in again:
        assert report.fields["gt"].to_dict() == {
            "added": 0,
            "deleted": 0,
            "edited": 0,
            "refused": {},
        }


@pytest.mark.parametrize(
    "spelling",
    [
        "http://cvat.example.com:8080",
        "HTTP://CVAT.Example.com:8080/",
        "http://user@cvat.example.com:8080//",
    ],
)
def test_a_server_gives_one_identity_however_its_url_is_spelt(spelling):
    assert server_identity(spelling) == "http://cvat.example.com:8080"
    assert task_source(spelling, 1) == "http://cvat.example.com:8080/tasks/1"


def test_default_ports_and_paths_of_server_urls():
    assert server_identity("https://cvat.example.com:443/") == "https://cvat.example.com"
    assert server_identity("http://cvat.example.com:80") == "http://cvat.example.com"
    assert server_identity("https://cvat.example.com:80") == "https://cvat.example.com:80"
    assert server_identity("https://example.com/cvat/") == "https://example.com/cvat"
    assert server_identity("http://[::1]:8080") == "http://[::1]:8080"
    assert task_source("http://a:8080", 1) != task_source("http://b:8080", 1)
