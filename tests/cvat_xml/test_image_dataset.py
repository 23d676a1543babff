"""CVATImageDataset: export -> import through real files gives the same labels back."""

from __future__ import annotations

import logging

import numpy as np
import pytest

import labelloop as ll
import labelloop.types
from labelloop.cvat.xml import load_cvat_xml, meta_labels
from labelloop.formats.io import from_dir as from_dir_impl
from tests.cvat_xml.media import write_jpeg

W, H = 64, 48


def from_dir(path, **options):
    # Dataset.from_dir(name=...) collides with extensions.call(name, ...) in the core
    # (TypeError); call the registered implementation directly until that is fixed.
    return from_dir_impl(ll.Dataset, path, **options)


def _px(x: float, y: float) -> tuple[float, float]:
    return (x / W, y / H)


@pytest.fixture()
def dataset(tmp_path):
    ds = ll.Dataset()
    mask = np.zeros((5, 10), dtype=bool)
    mask[1:4, 2:9] = True
    first = ll.Sample(
        str(write_jpeg(tmp_path / "src" / "a.jpg", W, H)),
        tags=["train"],
        ground_truth=ll.Detections(
            detections=[
                ll.Detection(
                    label="car",
                    bounding_box=[10.25 / W, 4.5 / H, 20.5 / W, 12.75 / H],
                    occluded=True,
                    rotation=30.0,
                    group_id=2,
                    make="kia",
                    parked=True,
                    doors=4,
                    speed=12.5,
                ),
                ll.Detection(label="person", bounding_box=[8 / W, 6 / H, 10 / W, 5 / H], mask=mask),
            ]
        ),
        weather=ll.Classification(label="rain", strength="heavy"),
        shapes=ll.Polylines(
            polylines=[
                ll.Polyline(
                    label="road",
                    points=[[_px(1, 2), _px(30.5, 2.25), _px(15.75, 40)]],
                    closed=True,
                    filled=True,
                ),
                ll.Polyline(label="lane", points=[[_px(0, 0), _px(63.99, 47.99)]]),
            ]
        ),
        joints=ll.Keypoints(
            keypoints=[
                ll.Keypoint(
                    label="hand", points=[_px(5.5, 6.5), (float("nan"),) * 2, _px(7.25, 8.75)]
                )
            ]
        ),
    )
    second = ll.Sample(str(write_jpeg(tmp_path / "src" / "b.jpg", W, H, seed=1)))
    ds.add_samples([first, second])
    return ds


def _labels(sample, field):
    value = sample[field] if sample.has_field(field) else None
    return [] if value is None else value[value.list_field]


def test_export_then_import_keeps_every_label(dataset, tmp_path):
    out = tmp_path / "export"
    dataset.export(
        str(out), dataset_type=labelloop.types.CVATImageDataset, subsets=["train"], label_ids=True
    )
    assert sorted(p.name for p in (out / "data").iterdir()) == ["a.jpg", "b.jpg"]
    doc = load_cvat_xml(out / "labels.xml")
    tasks = doc.meta["project"]["tasks"]
    assert [(t["id"], t["subset"], t["size"]) for t in tasks] == [
        ("1", "train", "1"),
        ("2", "default", "1"),
    ]
    assert [(im["subset"], im["task_id"]) for im in doc.images] == [("train", 1), ("default", 2)]
    back = from_dir(str(out), dataset_type=labelloop.types.CVATImageDataset)
    assert len(back) == 2
    a, b = list(back)
    assert a.filepath == str((out / "data" / "a.jpg").resolve())
    assert a.tags == ["train"] and b.tags == []
    assert (a.metadata.width, a.metadata.height) == (W, H)

    original = list(dataset)[0]
    cars = {d.label: d for d in _labels(a, "detections")}
    for det in _labels(original, "ground_truth"):
        got = cars[det.label]
        assert got.id == det.id and not got.has_field("label_id")
        assert got.bounding_box == pytest.approx(det.bounding_box, abs=0.005 / W)
        for name, value in det.dynamic_attributes.items():
            assert got[name] == value and type(got[name]) is type(value), name
    person = cars["person"]
    assert np.array_equal(person.mask, _labels(original, "ground_truth")[1].mask)

    [tag] = _labels(a, "classifications")
    assert (tag.label, tag.strength) == ("rain", "heavy")
    road, lane = _labels(a, "polylines")
    assert (road.closed, road.filled, lane.closed, lane.filled) == (True, True, False, False)
    assert np.allclose(road.points, _labels(original, "shapes")[0].points, atol=0.005 / W)
    [hand] = _labels(a, "keypoints")
    # the missing middle point comes back as NaN, in its place
    assert np.allclose(
        hand.points, _labels(original, "joints")[0].points, atol=0.005 / W, equal_nan=True
    )
    assert not hand.has_field("missing_points")
    assert all(_labels(b, f) == [] for f in ("detections", "polylines", "keypoints"))
    assert back.get_classes("detections") == ["car", "person"]


def test_xml_keeps_sub_pixel_floats_masks_and_typed_schema(dataset, tmp_path):
    out = tmp_path / "export"
    dataset.export(str(out), dataset_type="CVATImageDataset", label_field="ground_truth")
    doc = load_cvat_xml(out / "labels.xml")
    car, person = doc.images[0]["shapes"]
    assert car["points"] == pytest.approx([10.25, 4.5, 30.75, 17.25])
    assert (car["rotation"], car["occluded"], car["group"]) == (30.0, True, 2)
    assert person["type"] == "mask" and person["points"][-4:] == [8, 6, 17, 10]
    assert doc.images[1]["shapes"] == [] and doc.images[1]["name"] == "b.jpg"
    specs = {label["name"]: label for label in meta_labels(doc.meta)}
    types = {a["name"]: a["input_type"] for a in specs["car"]["attributes"]}
    assert types == {"make": "select", "parked": "checkbox", "doors": "number", "speed": "number"}
    assert specs["person"]["type"] == "mask"


def test_cvat_export_layout_and_unsupported_shapes_are_reported(tmp_path, caplog):
    from tests.cvat_xml.samples import IMAGES_XML

    (tmp_path / "annotations.xml").write_text(IMAGES_XML)
    write_jpeg(tmp_path / "images" / "Train" / "road" / "0001.jpg", 640, 480)
    with caplog.at_level(logging.WARNING):
        ds = from_dir(str(tmp_path), dataset_type="CVATImageDataset", label_field="cvat")
    first, second = list(ds)
    assert first.filepath.endswith("images/Train/road/0001.jpg") and first.tags == ["Train"]
    boxes = _labels(first, "cvat_detections")
    assert [d.label for d in boxes] == ["vehicle", "vehicle"]
    assert boxes[0].make == "kia" and boxes[0].parked is True and boxes[0].occluded is True
    assert boxes[0].rotation == 12.5 and boxes[0].group_id == 3
    assert boxes[1].mask.shape == (3, 4)
    assert [p.closed for p in _labels(first, "cvat_polylines")] == [True, False]
    assert len(_labels(first, "cvat_keypoints")) == 2
    assert "1 CVAT cuboid object(s) were not imported (first: image 'road/0001.jpg'" in caplog.text
    assert "1 CVAT ellipse object(s)" in caplog.text
    assert "1 image(s) listed in the XML were not found" in caplog.text


def test_bad_options_fail_before_writing(dataset, tmp_path):
    with pytest.raises(ValueError, match="does not accept 'colour'"):
        dataset.export(str(tmp_path / "x"), dataset_type="CVATImageDataset", colour=1)
    with pytest.raises(ValueError, match="is not a label field"):
        dataset.export(str(tmp_path / "y"), dataset_type="CVATImageDataset", label_field="tags")
    assert not (tmp_path / "y" / "labels.xml").exists()
