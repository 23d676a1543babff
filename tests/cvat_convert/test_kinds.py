"""Behaviour of each label kind beyond plain round trips: resizing, cropping,
missing points, skeletons, partial knowledge and refusals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from labelloop.core.labels import Detection, Detections, Keypoint, Polyline, Segmentation
from labelloop.cvat import convert, rle
from labelloop.cvat.convert import (
    ConvertOptions,
    UnsupportedObjectError,
    detection,
    instance,
    keypoint,
    polyline,
    scalar,
    segmentation,
)

NAN = (math.nan, math.nan)


def test_mask_of_box_size_is_sent_unresized_with_inclusive_corner():
    mask = np.zeros((5, 7), dtype=bool)
    mask[0, 0] = mask[4, 6] = True
    # Sub-pixel box whose size matches the mask: anchored at the rounded corner, no resize.
    label = Detection(
        label="cat", bounding_box=[10.3 / 640, 20.2 / 480, 7 / 640, 5 / 480], mask=mask
    )
    (shape,) = instance.to_cvat(label, (640, 480))
    assert shape["points"][-4:] == [10, 20, 16, 24]
    decoded, left, top = rle.points_to_mask(shape["points"])
    np.testing.assert_array_equal(decoded, mask)
    back = instance.from_cvat(shape, (640, 480))
    assert back.bounding_box == [10 / 640, 20 / 480, 7 / 640, 5 / 480]  # covers all 7x5 pixels


def test_mask_one_pixel_larger_than_its_box_is_kept_and_the_box_follows_it():
    mask = np.eye(6, 9, dtype=bool)
    label = Detection(label="cat", bounding_box=[0.1, 0.1, 8 / 100, 5 / 100], mask=mask)
    back = instance.from_cvat(instance.to_cvat(label, (100, 100))[0], (100, 100))
    np.testing.assert_array_equal(back.mask, mask)
    assert back.bounding_box == pytest.approx([0.1, 0.1, 0.09, 0.06])


def test_small_network_mask_is_resized_to_the_pixel_box_by_nearest_neighbour():
    mask = np.zeros((28, 28), dtype=np.uint8)
    mask[:, 14:] = 1
    label = Detection(label="cat", bounding_box=[0.1, 0.1, 0.5, 0.5], mask=mask)
    (shape,) = instance.to_cvat(label, (200, 100))
    back = instance.from_cvat(shape, (200, 100))
    assert back.mask.shape == (50, 100)
    assert back.mask[:, :50].sum() == 0 and back.mask[:, 50:].all()
    assert back.bounding_box == pytest.approx([0.1, 0.1, 0.5, 0.5])


def test_mask_partly_outside_the_frame_is_cropped():
    mask = np.ones((4, 4), dtype=bool)
    label = Detection(label="cat", bounding_box=[-2 / 10, 8 / 10, 4 / 10, 4 / 10], mask=mask)
    (shape,) = instance.to_cvat(label, (10, 10))
    assert shape["points"][-4:] == [0, 8, 1, 9]
    back = instance.from_cvat(shape, (10, 10))
    assert back.mask.shape == (2, 2) and back.bounding_box == [0.0, 0.8, 0.2, 0.2]


def test_dispatch_picks_mask_or_rectangle_and_refuses_maskless_instances():
    plain = Detection(label="a", bounding_box=[0, 0, 0.5, 0.5])
    masked = Detection(label="a", bounding_box=[0, 0, 0.5, 0.5], mask=np.ones((2, 2), bool))
    shapes = convert.to_cvat(Detections(detections=[plain, masked]), (4, 4))
    assert [s["type"] for s in shapes] == ["rectangle", "mask"]
    with pytest.raises(ValueError, match="has no mask; send it as a rectangle"):
        instance.to_cvat(plain, (4, 4))


def test_rotation_is_normalised_and_zero_rotation_not_written_back():
    label = Detection(label="a", bounding_box=[0.1, 0.1, 0.2, 0.2], rotation=-30.0)
    (shape,) = detection.to_cvat(label, (100, 100))
    assert shape["rotation"] == 330.0
    assert detection.from_cvat(shape, (100, 100)).rotation == 330.0
    shape["rotation"] = 0.0
    assert "rotation" not in detection.from_cvat(shape, (100, 100))


def test_rotation_of_a_masked_detection_travels_as_an_attribute():
    mask = np.ones((2, 2), dtype=bool)
    label = Detection(label="a", bounding_box=[0, 0, 0.5, 0.5], mask=mask, rotation=30.0)
    (shape,) = instance.to_cvat(label, (4, 4))
    assert shape["rotation"] == 0.0
    assert {"name": "rotation", "value": "30.0"} in shape["attributes"]
    assert instance.from_cvat(shape, (4, 4), template=label).rotation == 30.0


def test_bad_boxes_and_frame_sizes_are_named():
    with pytest.raises(ValueError, match="bounding_box must be four finite numbers"):
        detection.to_cvat(Detection(label="a", bounding_box=[0, 0, math.nan, 1]), (4, 4))
    with pytest.raises(ValueError, match="frame_size must hold two positive integers"):
        detection.to_cvat(Detection(label="a", bounding_box=[0, 0, 1, 1]), (0, 4))
    with pytest.raises(ValueError, match="non-empty class name"):
        detection.to_cvat(Detection(bounding_box=[0, 0, 1, 1]), (4, 4))


def test_keypoints_edited_to_another_count_are_returned_as_drawn():
    label = Keypoint(label="p", points=[(0.1, 0.1), NAN, (0.5, 0.5)])
    options = ConvertOptions(missing_points_attr="kp_slots")
    (shape,) = keypoint.to_cvat(label, (10, 10), options=options)
    assert {"name": "kp_slots", "value": "3:0,2"} in shape["attributes"]
    shape["points"] += [9.0, 9.0]  # the annotator added a third point
    back = keypoint.from_cvat(shape, (10, 10), options)
    assert back.points == [(0.1, 0.1), (0.5, 0.5), (0.9, 0.9)]


def test_keypoint_without_present_points_is_refused():
    with pytest.raises(ValueError, match="no present"):
        keypoint.to_cvat(Keypoint(label="p", points=[NAN]), (10, 10))


def test_skeletons_are_read_in_element_order_with_outside_as_missing():
    shape = {
        "type": "skeleton",
        "label": "person",
        "points": [],
        "attributes": [],
        "elements": [
            {"label": "knee", "points": [4.0, 8.0], "outside": False},
            {"label": "head", "points": [2.0, 1.0], "outside": False},
            {"label": "hand", "points": [0.0, 0.0], "outside": True},
        ],
    }
    options = ConvertOptions(skeleton_points={"person": ["head", "hand", "knee", "foot"]})
    back = convert.from_cvat(shape, (10, 10), options)
    assert back.label == "person"
    assert back.points[0] == (0.2, 0.1) and back.points[2] == (0.4, 0.8)
    assert all(math.isnan(v) for p in (back.points[1], back.points[3]) for v in p)


def test_polyline_refusals_and_filled_from_template():
    with pytest.raises(ValueError, match="part 0 has 2 points; a CVAT polygon needs at least 3"):
        polyline.to_cvat(Polyline(label="r", points=[[(0, 0), (1, 1)]], closed=True), (5, 5))
    outline = Polyline(label="r", points=[[(0, 0), (1, 0), (1, 1)]], closed=True, filled=False)
    (shape,) = polyline.to_cvat(outline, (5, 5))
    assert polyline.from_cvat(shape, (5, 5)).filled is True  # polygons default to filled
    assert polyline.from_cvat(shape, (5, 5), template=outline).filled is False
    other = dict(shape, type="polyline")
    with pytest.raises(ValueError, match="all be polygons or all be polylines"):
        polyline.from_cvat([shape, other], (5, 5))


def test_segmentation_is_resized_to_the_frame_and_painted_in_z_order():
    mask = np.array([[0, 1], [2, 2]], dtype=np.uint8)
    options = ConvertOptions(mask_targets={1: "road", 2: "car"})
    shapes = segmentation.to_cvat(Segmentation(mask=mask), (4, 4), 0, options)
    assert [s["label"] for s in shapes] == ["road", "car"]
    back = segmentation.from_cvat(shapes, (4, 4), options)
    np.testing.assert_array_equal(back.mask, np.kron(mask, np.ones((2, 2), np.uint8)))
    # Overlap: the shape with the higher z_order wins regardless of list order.
    full = {
        "type": "mask",
        "label": "road",
        "points": rle.mask_to_points(np.ones((4, 4)), 0, 0),
        "z_order": 1,
        "attributes": [],
    }
    painted = segmentation.from_cvat([full, *shapes], (4, 4), options)
    assert (painted.mask == 1).all()


def test_segmentation_refusals():
    options = ConvertOptions(mask_targets={1: "road"})
    with pytest.raises(ValueError, match="pixel values \\[7\\].*add them to mask_targets"):
        segmentation.to_cvat(Segmentation(mask=np.array([[1, 7]])), (2, 1), 0, options)
    with pytest.raises(ValueError, match="all distinct '#rrggbb' colors"):
        segmentation.to_cvat(
            Segmentation(mask=np.zeros((1, 1), int)),
            (1, 1),
            0,
            ConvertOptions(mask_targets={"#ff00": "x"}),
        )
    with pytest.raises(ValueError, match="need options.mask_targets"):
        segmentation.to_cvat(Segmentation(mask=np.zeros((1, 1), int)), (1, 1))


def test_scalar_none_and_foreign_values():
    assert scalar.to_cvat(None, field="q") == []
    with pytest.raises(ValueError, match="not one of its classes"):
        scalar.to_cvat("x", field="q", classes=["a", "b"])
    (tag,) = scalar.to_cvat("007", field="q")
    assert scalar.from_cvat(tag, field="q") == "007"
    assert scalar.from_cvat(tag, field="q", options=ConvertOptions(coerce_text=True)) == 7
    with pytest.raises(ValueError, match="is not a int"):
        scalar.from_cvat(scalar.to_cvat("abc", field="q")[0], field="q", value_type=int)


def test_unsupported_shapes_are_reported_not_dropped():
    ellipse = {"type": "ellipse", "label": "a", "points": [0, 0, 1, 1], "attributes": []}
    with pytest.raises(UnsupportedObjectError, match="'ellipse'"):
        convert.from_cvat(ellipse, (4, 4))


def test_objects_of_a_frame_join_parts_by_id_and_keep_the_rest():
    poly = Polyline(
        label="r",
        points=[[(0, 0), (0.5, 0), (0.5, 0.5)], [(0.6, 0.6), (0.9, 0.6), (0.9, 0.9)]],
        closed=True,
        filled=True,
    )
    box = Detection(label="b", bounding_box=[0.1, 0.1, 0.2, 0.2])
    objects = convert.to_cvat(poly, (10, 10)) + convert.to_cvat(box, (10, 10))
    labels = convert.from_cvat_objects(objects, (10, 10))
    assert [type(x).__name__ for x in labels] == ["Polyline", "Detection"]
    assert labels[0] == poly and labels[1].id == box.id
