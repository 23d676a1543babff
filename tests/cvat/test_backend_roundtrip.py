"""Every image label type goes up to the local CVAT server and comes back unchanged."""

from __future__ import annotations

import math

import numpy as np
import pytest

from labelloop.core.labels import (
    Classification,
    Classifications,
    Detection,
    Detections,
    Keypoint,
    Keypoints,
    Polyline,
    Polylines,
    Segmentation,
)
from tests.cvat.helpers import image_dataset, make_backend, server_json

SCHEMA = {
    "dets": {
        "type": "detections",
        "classes": ["person", "car"],
        "attributes": {
            "iscrowd": {"type": "checkbox", "values": [True, False]},
            "occ": {"type": "occluded"},
        },
    },
    "inst": {"type": "instances", "classes": ["blob"], "attributes": {}},
    "lines": {"type": "polylines", "classes": ["lane"], "attributes": {}},
    "polys": {"type": "polygons", "classes": ["roof"], "attributes": {}},
    "kps": {"type": "keypoints", "classes": ["face"], "attributes": {}},
    "seg": {"type": "segmentation", "mask_targets": {1: "road", 2: "sky"}},
    "scene": {"type": "classifications", "classes": ["person", "indoor"], "attributes": {}},
    "weather": {"type": "classification", "classes": ["sunny", "rainy"], "attributes": {}},
    "note": {"type": "scalar"},
    "level": {"type": "scalar", "classes": [1, 2, 3]},
}


def _mask(i: int, h: int, w: int) -> np.ndarray:
    rng = np.random.default_rng(i)
    mask = rng.random((h, w)) > 0.5
    mask[0, 0] = True
    return mask


def _seg(i: int) -> Segmentation:
    mask = np.zeros((48, 64), dtype=np.uint8)
    mask[5 : 20 + i, 3:30] = 1
    mask[30:40, 10 + i : 50] = 2
    return Segmentation(mask=mask)


FIELDS = {
    "dets": lambda i: Detections(
        detections=[
            Detection(
                label="person", bounding_box=[0.1, 0.2, 0.25, 0.5], iscrowd=bool(i % 2), occ=True
            ),
            Detection(label="car", bounding_box=[0.5, 0.1, 0.3, 0.3], rotation=30.0, occ=False),
        ]
    ),
    "inst": lambda i: Detections(
        detections=[
            Detection(
                label="blob", bounding_box=[0.125, 0.25, 10 / 64, 12 / 48], mask=_mask(i, 12, 10)
            )
        ]
    ),
    "lines": lambda i: Polylines(
        polylines=[
            Polyline(
                label="lane",
                points=[[(0.1, 0.1), (0.5, 0.5 + i / 100), (0.9, 0.2)]],
                closed=False,
                filled=False,
            )
        ]
    ),
    "polys": lambda i: Polylines(
        polylines=[
            Polyline(
                label="roof",
                points=[[(0.2, 0.2), (0.6, 0.2), (0.4, 0.7)]],
                closed=True,
                filled=True,
            )
        ]
    ),
    "kps": lambda i: Keypoints(
        keypoints=[
            Keypoint(label="face", points=[(0.1, 0.2), (math.nan, math.nan), (0.3, 0.4 + i / 100)])
        ]
    ),
    "seg": _seg,
    "scene": lambda i: Classifications(
        classifications=[Classification(label="person"), Classification(label="indoor")]
    ),
    "weather": lambda i: Classification(label="sunny" if i % 2 else "rainy"),
    "note": lambda i: f"00{i}",
    "level": lambda i: (i % 3) + 1,
}


def _items(value):
    return list(value[value.list_field]) if value.list_field else [value]


def _assert_same(field, original, loaded):
    if field == "seg":
        np.testing.assert_array_equal(loaded.mask, original.mask)
        return
    assert loaded.label == original.label
    if field in ("dets", "inst"):
        np.testing.assert_allclose(loaded.bounding_box, original.bounding_box, atol=1e-9)
    if field == "inst":
        np.testing.assert_array_equal(loaded.mask, original.mask)
    if field == "dets":
        assert loaded.get_field("occ") == original.get_field("occ")
        assert (loaded.get_field("rotation") or 0) == pytest.approx(
            original.get_field("rotation") or 0
        )
        if original.get_field("iscrowd") is not None:
            assert loaded.iscrowd is original.iscrowd
    if field in ("lines", "polys"):
        np.testing.assert_allclose(loaded.points, original.points, atol=1e-9)
        assert loaded.closed == original.closed and loaded.filled == original.filled
    if field == "kps":
        np.testing.assert_allclose(
            np.asarray(loaded.points), np.asarray(original.points), atol=1e-9
        )


def test_every_label_type_round_trips(cvat_server, tmp_path):
    dataset = image_dataset(tmp_path, 4, **FIELDS)
    backend = make_backend(cvat_server, SCHEMA, task_size=3, coerce_text_attrs=False)
    results = backend.upload_annotations(dataset, "rt")
    try:
        assert len(results.task_ids) == 2
        # the class used by two fields is renamed in CVAT so each label has one owner
        labels = server_json(cvat_server, "/api/labels", task_id=results.task_ids[0], page_size=100)
        names = {label["name"] for label in labels["results"]}
        assert {"person_dets", "person_scene", "car", "blob"} <= names
        annotations = backend.download_annotations(results)
        for sample in dataset.iter_samples():
            for field in FIELDS:
                original = sample.get_field(field)
                if SCHEMA[field]["type"] == "scalar":
                    assert annotations[field]["scalar"][sample.id] == original
                    continue
                return_type = {
                    "classification": "classification",
                    "classifications": "classifications",
                }.get(SCHEMA[field]["type"], next(iter(annotations[field])))
                loaded = annotations[field][return_type][sample.id]
                expected = _items(original)
                assert set(loaded) == {label.id for label in expected}, field
                for label in expected:
                    _assert_same(field, label, loaded[label.id])
        # every task has its own server-id map (fallback provenance)
        assert all(results.server_id_map[t]["shapes"] for t in results.task_ids)
    finally:
        results.cleanup()
    assert not any(
        t["id"] in results.task_ids for t in server_json(cvat_server, "/api/tasks")["results"]
    )
