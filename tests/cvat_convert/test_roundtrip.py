"""Property tests: every label kind survives to_cvat -> from_cvat unchanged.

Floats are compared within 1e-9 (relative coordinates pass through pixels);
masks, ids, classes and attributes must match exactly.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from labelloop.core.labels import (
    Classification,
    Classifications,
    Detection,
    Keypoint,
    Polyline,
    Segmentation,
)
from labelloop.cvat import convert
from labelloop.cvat.convert import (
    ConvertOptions,
    classification,
    detection,
    instance,
    keypoint,
    polyline,
    scalar,
    segmentation,
)
from tests.cvat_convert.helpers import (
    CLASS_NAMES,
    FAST,
    FRAME_SIZES,
    NUMBER_VALUES,
    TEXT_VALUES,
    UNIT,
    assert_close,
    attribute_sets,
)

BINDINGS = st.fixed_dictionaries({"hidden": st.booleans(), "crowd": st.integers(1, 1000)})


@FAST
@given(
    FRAME_SIZES,
    CLASS_NAMES,
    st.lists(UNIT, min_size=4, max_size=4),
    st.one_of(st.none(), st.floats(0.5, 359.5)),
    attribute_sets(),
    BINDINGS,
    st.integers(0, 10_000),
)
def test_detection(frame_size, name, box, rotation, attrs, bound, frame):
    schema, values = attrs
    extra = {} if rotation is None else {"rotation": rotation}
    label = Detection(label=name, bounding_box=box, **values, **bound, **extra)
    options = ConvertOptions(attributes=schema, occluded_attr="hidden", group_id_attr="crowd")
    shapes = detection.to_cvat(label, frame_size, frame, options)
    assert [(s["type"], s["frame"]) for s in shapes] == [("rectangle", frame)]
    assert_close(detection.from_cvat(shapes[0], frame_size, options), label)
    assert_close(convert.from_cvat(shapes[0], frame_size, options), label)


@FAST
@given(
    CLASS_NAMES,
    st.dictionaries(
        st.sampled_from(["note", "iscrowd", "score", "ok", "code"]),
        st.one_of(TEXT_VALUES, st.integers(-(10**9), 10**9), NUMBER_VALUES, st.booleans()),
    ),
)
def test_schemaless_attributes_keep_their_types_through_the_template(name, values):
    label = Detection(label=name, bounding_box=[0.1, 0.2, 0.3, 0.4], **values)
    (shape,) = detection.to_cvat(label, (640, 480))
    assert all(isinstance(a["value"], str) for a in shape["attributes"])
    assert_close(convert.from_cvat(shape, (640, 480), template=label), label)


@st.composite
def placed_masks(draw):
    width, height = draw(st.integers(1, 300)), draw(st.integers(1, 300))
    mask_w, mask_h = draw(st.integers(1, min(width, 24))), draw(st.integers(1, min(height, 24)))
    left, top = draw(st.integers(0, width - mask_w)), draw(st.integers(0, height - mask_h))
    mask = draw(hnp.arrays(bool, (mask_h, mask_w)))
    box = [left / width, top / height, mask_w / width, mask_h / height]
    return (width, height), box, mask


@FAST
@given(placed_masks(), CLASS_NAMES, attribute_sets())
def test_instance_mask_is_pixel_exact(placed, name, attrs):
    frame_size, box, mask = placed
    schema, values = attrs
    label = Detection(label=name, bounding_box=box, mask=mask, **values)
    options = ConvertOptions(attributes=schema)
    shapes = convert.to_cvat(label, frame_size, 3, options)
    assert shapes[0]["type"] == "mask"
    back = instance.from_cvat(shapes[0], frame_size, options)
    np.testing.assert_array_equal(back.mask, mask)
    assert_close(back, label, tol=1e-12)


@st.composite
def polylines(draw):
    closed = draw(st.booleans())
    least = 3 if closed else 2
    point = st.tuples(UNIT, UNIT)
    parts = draw(st.lists(st.lists(point, min_size=least, max_size=7), min_size=1, max_size=3))
    filled = closed and draw(st.booleans())
    return closed, filled, parts


@FAST
@given(FRAME_SIZES, CLASS_NAMES, polylines(), attribute_sets())
def test_polyline_parts_join_again(frame_size, name, shape, attrs):
    closed, filled, parts = shape
    schema, values = attrs
    label = Polyline(label=name, points=parts, closed=closed, filled=filled, **values)
    options = ConvertOptions(attributes=schema, filled=filled)
    shapes = polyline.to_cvat(label, frame_size, 0, options)
    assert len(shapes) == len(parts)
    assert {s["type"] for s in shapes} == {"polygon" if closed else "polyline"}
    (back,) = convert.from_cvat_objects(shapes, frame_size, options)
    assert_close(back, label)


@FAST
@given(
    FRAME_SIZES,
    CLASS_NAMES,
    st.lists(st.one_of(st.none(), st.tuples(UNIT, UNIT)), min_size=1, max_size=9).filter(
        lambda pts: any(p is not None for p in pts)
    ),
)
def test_keypoint_missing_points_survive(frame_size, name, slots):
    points = [p if p is not None else (math.nan, math.nan) for p in slots]
    label = Keypoint(label=name, points=points)
    options = ConvertOptions(missing_points_attr="kp_slots")
    (shape,) = keypoint.to_cvat(label, frame_size, 0, options)
    assert len(shape["points"]) == 2 * sum(p is not None for p in slots)
    assert all(math.isfinite(v) for v in shape["points"])
    assert_close(keypoint.from_cvat(shape, frame_size, options), label)
    # Without the attribute, the uploaded label restores the missing slots.
    (plain,) = keypoint.to_cvat(label, frame_size)
    assert_close(convert.from_cvat(plain, frame_size, template=label), label)


@FAST
@given(st.lists(CLASS_NAMES, min_size=1, max_size=4), attribute_sets())
def test_classifications(names, attrs):
    schema, values = attrs
    options = ConvertOptions(attributes=schema)
    label = Classifications(classifications=[Classification(label=n, **values) for n in names])
    tags = classification.to_cvat(label, None, 7, options)
    assert [t["frame"] for t in tags] == [7] * len(names)
    back = [classification.from_cvat(t, None, options) for t in tags]
    assert_close(Classifications(classifications=back, id=label.id), label)


@FAST
@given(
    hnp.arrays(
        np.uint8,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=30),
        elements=st.integers(0, 4),
    )
)
def test_segmentation(mask):
    options = ConvertOptions(mask_targets={0: "background", 1: "a", 2: "b", 3: "c", 4: "d"})
    label = Segmentation(mask=mask)
    frame_size = (mask.shape[1], mask.shape[0])
    shapes = segmentation.to_cvat(label, frame_size, 0, options)
    assert len(shapes) == len(set(np.unique(mask).tolist()) - {0})
    # An all-background mask sends no shape, so only the uploaded label knows its id.
    template = None if shapes else label
    assert_close(segmentation.from_cvat(shapes, frame_size, options, template), label)


SCALARS = st.one_of(
    st.text(min_size=1, max_size=8),
    st.integers(-(10**9), 10**9),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
)


@FAST
@given(SCALARS)
def test_scalar_without_classes(value):
    tags = scalar.to_cvat(value, field="quality")
    back = scalar.from_cvat(tags[0], field="quality", value_type=type(value))
    assert back == value and type(back) is type(value)


@FAST
@given(
    st.lists(
        st.one_of(st.text(min_size=1, max_size=5), st.integers()),
        min_size=1,
        max_size=5,
        unique_by=str,
    ),
    st.data(),
)
def test_scalar_with_classes(classes, data):
    value = data.draw(st.sampled_from(classes))
    (tag,) = scalar.to_cvat(value, field="kind", classes=classes)
    assert tag["attributes"] == []
    back = scalar.from_cvat(tag, field="kind", classes=classes)
    assert back == value and type(back) is type(value)


@FAST
@given(
    hnp.arrays(
        np.uint8,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=20),
        elements=st.integers(0, 3),
    )
)
def test_rgb_segmentation(classes):
    colors = np.array([[0, 0, 0], [255, 0, 0], [0, 128, 255], [1, 2, 3]], dtype=np.uint8)
    options = ConvertOptions(
        mask_targets={"#000000": "void", "#ff0000": "a", "#0080FF": "b", "#010203": "c"}
    )
    label = Segmentation(mask=colors[classes])
    frame_size = (classes.shape[1], classes.shape[0])
    shapes = segmentation.to_cvat(label, frame_size, 0, options)
    assert len(shapes) == len(set(np.unique(classes).tolist()) - {0})
    back = segmentation.from_cvat(shapes, frame_size, options, None if shapes else label)
    assert back.mask.dtype == np.uint8
    assert_close(back, label)
