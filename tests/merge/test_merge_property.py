"""Property test of the three-way merge through a real server (issue 15, "Done means").

Random local edits, random annotator edits in CVAT and a random unreadable (deleted) task;
the merged dataset must match a small model of the rules: no label that neither side
deleted is lost, no local edit is reverted unless the annotator changed the same value, an
unreadable task's labels stay as they are, and a second load changes nothing.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.merge.helpers import creds, image_dataset, labels_by_id, person, samples_of_task
from tests.merge.test_three_way import _edit, _shapes

ACTIONS = st.sampled_from(["none", "note", "delete"])


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    local=st.lists(ACTIONS, min_size=8, max_size=8),
    cvat=st.lists(ACTIONS, min_size=8, max_size=8),
    gone=st.sampled_from([None, 0, 1]),
)
def test_merge_follows_the_three_way_rules(cvat_server, tmp_path_factory, local, cvat, gone):
    server = cvat_server
    dataset = image_dataset(tmp_path_factory.mktemp("prop"), 4, per_sample=2, note="sent")
    results = dataset.annotate(
        "prop", label_field="gt", attributes=["note"], task_size=2, **creds(server)
    )
    try:
        sent = labels_by_id(dataset)
        where = {d.id: s.id for s in dataset.iter_samples() for d in s.gt.detections}
        ids = sorted(sent)
        shapes = _shapes(server, results)
        for label_id, action in zip(ids, local):
            if action == "note":
                _edit(dataset, label_id, note="local")
            elif action == "delete":
                _edit(dataset, label_id, _delete=True)
        ours = labels_by_id(dataset)
        with person(server) as someone:
            for label_id, action in zip(ids, cvat):
                job, shape = shapes[label_id]
                if action == "note":
                    someone.set_attributes(job, shape, {"note": "cvat"})
                elif action == "delete":
                    someone.delete_shapes(job, [shape])
            if gone is not None:
                someone._call("DELETE", f"/api/tasks/{results.task_ids[gone]}")
        unread_samples = (
            set(samples_of_task(results, results.task_ids[gone])) if gone is not None else set()
        )

        dataset.load_annotations("prop", **creds(server))
        after = labels_by_id(dataset)

        for label_id, mine, theirs in zip(ids, local, cvat):
            case = (label_id, mine, theirs, gone)
            if where[label_id] in unread_samples or theirs == "none":
                expected = ours.get(label_id)  # nothing read, or the annotator left it: ours
            elif theirs == "delete":
                expected = None  # deleted in CVAT (a local note conflicts; CVAT wins)
            else:  # the annotator set the note: it wins (conflicts="cvat"), even over a deletion
                expected = {**ours.get(label_id, sent[label_id]), "note": "cvat"}
            got = after.get(label_id)
            if expected is None:
                assert got is None, case
            else:
                assert got is not None, case
                assert got["note"] == expected["note"], case
                assert got["label"] == expected["label"], case
                assert got["bounding_box"] == pytest.approx(expected["bounding_box"]), case
        assert set(after) <= set(ids)  # nothing added twice or under another id
        dataset.load_annotations("prop", **creds(server))
        assert labels_by_id(dataset) == after  # a second load changes nothing
    finally:
        dataset.delete()
