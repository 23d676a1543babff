"""Bulk edits of label attributes in place (``Store.update_label_values``): only the labels
whose values change are written, other keys keep their order and text, ``REMOVE`` drops
an attribute, and other fields and levels are left alone. Runs on whichever engine the
suite uses (SQLite edits in one set-based ``UPDATE``, PostgreSQL in Python)."""

from __future__ import annotations

import labelloop as ll
from labelloop.store.base import REMOVE


def _stored(ds, field: str) -> dict[str, str]:
    """``{label id: its stored document text}`` of the items of ``field``."""
    rows = ds._store._all(
        "SELECT id, data FROM labels WHERE dataset_id=? AND field=? AND position >= 0",
        (ds._id, field),
    )
    return dict(rows)


def test_only_changed_labels_are_written_and_other_keys_keep_their_text(dataset):
    dets = [ll.Detection(label="cat", confidence=0.5, ev="tp", n=1) for _ in range(4)]
    gt = [ll.Detection(label="cat", ev="tp") for _ in range(2)]
    dataset.add_sample(
        ll.Sample("/e/a.jpg", det=ll.Detections(detections=dets), gt=ll.Detections(detections=gt))
    )
    store, ids = dataset._store, [d.id for d in dets]
    before, gt_before = _stored(dataset, "det"), _stored(dataset, "gt")
    values = [("tp", 1), ("fp", 1), ("tp", 1.0), ("fn", 2)]  # the first is unchanged
    written = store.update_label_values(dataset._id, ["ev", "n"], list(zip(ids, values)), "det")
    assert written == 3  # 1.0 is not 1: the third is written
    after = _stored(dataset, "det")
    assert after[ids[0]] == before[ids[0]]
    for label_id, (ev, n) in zip(ids[1:], values[1:]):
        expected = before[label_id].replace('"ev":"tp"', f'"ev":"{ev}"')
        assert after[label_id] == expected.replace('"n":1', f'"n":{n}'), after[label_id]
    assert _stored(dataset, "gt") == gt_before  # the same attribute of another field
    assert store.update_label_values(dataset._id, ["ev"], [(ids[0], ("tp",))], "det") == 0

    dropped = store.update_label_values(
        dataset._id, ["ev", "n"], [(ids[0], (REMOVE, 5)), (ids[1], (REMOVE, REMOVE))], "det"
    )
    assert dropped == 2
    sample = dataset.first()
    first, second = sample.det.detections[:2]
    assert not first.has_field("ev") and first.n == 5 and first.label == "cat"
    assert not second.has_field("ev") and not second.has_field("n")
    assert [d.ev for d in sample.gt.detections] == ["tp", "tp"]
