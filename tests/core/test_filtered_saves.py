"""Saving samples read through filtered views: random edits never touch hidden labels."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import labelloop as ll
from labelloop import ViewField as F
from labelloop.core.labels import Detection, Detections

items = st.lists(st.tuples(st.sampled_from("abc"), st.floats(0, 1)), max_size=8)
edits = st.lists(
    st.one_of(
        st.tuples(st.just("delete"), st.integers(0, 7)),
        st.tuples(st.just("rename"), st.integers(0, 7)),
        st.tuples(st.just("append"), st.integers(0, 0)),
    ),
    max_size=5,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(dets=items, threshold=st.sampled_from([0.0, 0.3, 0.7, 1.1]), script=edits)
def test_random_edits_through_a_filter(dataset, dets, threshold, script):
    dataset.clear()
    original = [Detection(label=lab, confidence=conf) for lab, conf in dets]
    dataset.add_sample(ll.Sample("/f.jpg", gt=Detections(detections=original)))
    # the model: (id, label) in stored order
    model = [(d.id, d.label) for d in original]
    visible_ids = {d.id for d in original if d.confidence > threshold}
    view = dataset.filter_labels("gt", F("confidence") > threshold, only_matches=False)
    sample = view.first()
    shown = sample.gt.detections
    assert [d.id for d in shown] == [i for i, _ in model if i in visible_ids]
    for action, index in script:
        if action == "delete" and shown:
            gone = shown.pop(index % len(shown))
            model = [(i, lab) for i, lab in model if i != gone.id]
        elif action == "rename" and shown:
            target = shown[index % len(shown)]
            target.label = target.label + "x"
            model = [(i, target.label if i == target.id else lab) for i, lab in model]
        elif action == "append":
            new = Detection(label="new", confidence=2.0)
            shown.append(new)
            model.append((new.id, "new"))
    sample.save()
    stored = dataset.first().gt.detections
    assert [(d.id, d.label) for d in stored] == model
