"""Property: any label of every image type survives upload to CVAT and download unchanged."""

from __future__ import annotations

import math
import string

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labelloop.core.labels import (
    Classification,
    Classifications,
    Detection,
    Detections,
    Keypoint,
    Keypoints,
    Polyline,
    Polylines,
)
from tests.cvat.helpers import image_dataset, make_backend

W, H = 40, 30
CLASSES = ["a", "b", "c"]
TEXT = st.text(alphabet=string.ascii_letters + string.digits + " -_.", min_size=1, max_size=12)
UNIT = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@st.composite
def detection(draw):
    x, y = draw(st.floats(0, 0.7)), draw(st.floats(0, 0.7))
    w, h = draw(st.floats(0.01, 0.3)), draw(st.floats(0.01, 0.3))
    return Detection(
        label=draw(st.sampled_from(CLASSES)),
        bounding_box=[x, y, w, h],
        rotation=draw(st.one_of(st.none(), st.floats(0.5, 359.5))),
        note=draw(st.one_of(st.none(), TEXT)),
    )


@st.composite
def instance(draw):
    left, top = draw(st.integers(0, W - 8)), draw(st.integers(0, H - 8))
    w, h = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    bits = draw(st.lists(st.booleans(), min_size=w * h, max_size=w * h))
    mask = np.array(bits, dtype=bool).reshape(h, w)
    mask[draw(st.integers(0, h - 1)), draw(st.integers(0, w - 1))] = True
    return Detection(
        label=draw(st.sampled_from(CLASSES)),
        bounding_box=[left / W, top / H, w / W, h / H],
        mask=mask,
    )


@st.composite
def polyline(draw):
    closed = draw(st.booleans())
    points = draw(st.lists(st.tuples(UNIT, UNIT), min_size=3, max_size=6))
    return Polyline(
        label=draw(st.sampled_from(CLASSES)), points=[points], closed=closed, filled=closed
    )


@st.composite
def keypoint(draw):
    points = draw(
        st.lists(
            st.one_of(st.tuples(UNIT, UNIT), st.just((math.nan, math.nan))), min_size=1, max_size=6
        )
    )
    points.append((draw(UNIT), draw(UNIT)))  # at least one present point
    return Keypoint(label=draw(st.sampled_from(CLASSES)), points=points)


SCHEMA = {
    "dets": {
        "type": "detections",
        "classes": CLASSES,
        "attributes": {"note": {"type": "text", "values": []}},
    },
    "inst": {"type": "instances", "classes": CLASSES, "attributes": {}},
    "lines": {"type": "polylines", "classes": CLASSES, "attributes": {}},
    "kps": {"type": "keypoints", "classes": CLASSES, "attributes": {}},
    "scene": {"type": "classifications", "classes": CLASSES, "attributes": {}},
}


def _items(value):
    return list(value[value.list_field])


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    dets=st.lists(detection(), max_size=4),
    inst=st.lists(instance(), max_size=3),
    lines=st.lists(polyline(), max_size=3),
    kps=st.lists(keypoint(), max_size=3),
    tags=st.lists(st.sampled_from(CLASSES), max_size=3, unique=True),
)
def test_any_labels_round_trip(cvat_server, tmp_path_factory, dets, inst, lines, kps, tags):
    values = {
        "dets": Detections(detections=dets),
        "inst": Detections(detections=inst),
        "lines": Polylines(polylines=lines),
        "kps": Keypoints(keypoints=kps),
        "scene": Classifications(classifications=[Classification(label=t) for t in tags]),
    }
    dataset = image_dataset(
        tmp_path_factory.mktemp("prop"),
        1,
        (W, H),
        **{f: (lambda i, v=v: v) for f, v in values.items()},
    )
    backend = make_backend(cvat_server, SCHEMA, coerce_text_attrs=False)
    results = backend.upload_annotations(dataset, "prop")
    try:
        annotations = backend.download_annotations(results)
    finally:
        results.cleanup()
    (sample_id,) = [s.id for s in dataset.iter_samples()]
    for field, value in values.items():
        by_type = annotations[field]
        loaded = {k: v for per in by_type.values() for k, v in per.get(sample_id, {}).items()}
        assert set(loaded) == {label.id for label in _items(value)}, field
        for label in _items(value):
            got = loaded[label.id]
            assert got.label == label.label
            if field in ("dets", "inst"):
                np.testing.assert_allclose(got.bounding_box, label.bounding_box, atol=1e-9)
                assert got.get_field("note") == label.get_field("note")
                assert math.isclose(
                    got.get_field("rotation") or 0, label.get_field("rotation") or 0, abs_tol=1e-9
                )
            if field == "inst":
                np.testing.assert_array_equal(got.mask, label.mask)
            if field == "lines":
                np.testing.assert_allclose(got.points, label.points, atol=1e-9)
                assert (got.closed, got.filled) == (label.closed, label.filled)
            if field == "kps":
                np.testing.assert_allclose(
                    np.asarray(got.points), np.asarray(label.points), atol=1e-9
                )
