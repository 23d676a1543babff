"""Label schema normalisation and validation on plain inputs."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from labelloop.annotation.schema import (
    DEFAULT_MASK_TARGETS,
    FieldInfo,
    build_label_schema,
    class_names,
    schema_attributes,
)
from labelloop.annotation.schema_io import deserialize_schema, serialize_schema
from labelloop.core import labels as fol
from tests.annotation.helpers import PlainSource


def _gt_source() -> PlainSource:
    dets = [
        fol.Detection(label="cat", bounding_box=[0.1, 0.1, 0.2, 0.2], iscrowd=0, occluded=False),
        fol.Detection(label="dog", bounding_box=[0.5, 0.5, 0.2, 0.2], iscrowd=1, group_id=3),
        fol.Detection(label="dog", bounding_box=[0.2, 0.5, 0.1, 0.2], note="x", tags_list=[1]),
    ]
    return PlainSource(
        fields={
            "ground_truth": FieldInfo(label_cls=fol.Detections),
            "weather": FieldInfo(label_cls=fol.Classification),
            "count": FieldInfo(scalar_type=int),
            "blob": FieldInfo(),
            "seg": FieldInfo(label_cls=fol.Segmentation),
            "lines": FieldInfo(label_cls=fol.Polylines),
            "masked": FieldInfo(label_cls=fol.Detections),
        },
        labels={
            "ground_truth": dets,
            "weather": [fol.Classification(label="sunny")],
            "lines": [
                fol.Polyline(label="road", points=[[(0, 0), (1, 1)]], filled=True),
                fol.Polyline(label="lane", points=[[(0, 0), (1, 1)]], filled=False),
            ],
            "masked": [
                fol.Detection(label="a", bounding_box=[0, 0, 1, 1], mask=np.ones((2, 2), bool))
            ],
        },
    )


def test_full_dict_form_from_the_spec(backend):
    schema = build_label_schema(
        PlainSource(),
        backend,
        label_schema={
            "new_field": {
                "type": "classifications",
                "classes": ["class1", "class2"],
                "attributes": {
                    "attr1": {"type": "select", "values": ["val1", "val2"], "default": "val1"},
                    "attr2": {"type": "radio", "values": [True, False], "default": False},
                },
            }
        },
    )
    spec = schema["new_field"]
    assert spec["type"] == "classifications"
    assert spec["classes"] == ["class1", "class2"]
    assert spec["attributes"]["attr2"] == {
        "type": "radio",
        "values": [True, False],
        "default": False,
    }
    assert spec["existing_field"] is False
    assert "allow_additions" not in spec  # edit flags only concern existing fields


def test_existing_field_inference_classes_attributes_and_flags(backend):
    schema = build_label_schema(
        _gt_source(), backend, label_field="ground_truth", allow_spatial_edits=False
    )
    spec = schema["ground_truth"]
    assert spec["type"] == "detections"
    assert spec["classes"] == ["cat", "dog"]
    assert spec["attributes"] == {
        "iscrowd": {"type": "text", "values": []},
        "occluded": {"type": "occluded"},
        "group_id": {"type": "group_id"},
        "note": {"type": "text", "values": []},
    }
    assert spec["existing_field"] is True
    assert spec["allow_spatial_edits"] is False and spec["allow_label_edits"] is True
    assert "allow_index_edits" not in spec  # only for frame-level tracks


def test_declared_classes_first_then_observed_extras_appended(backend, caplog):
    source = _gt_source()
    source.classes = {"ground_truth": ["dog", "bird"]}
    with caplog.at_level(logging.INFO):
        spec = build_label_schema(source, backend, label_field="ground_truth")["ground_truth"]
    assert spec["classes"] == ["dog", "bird", "cat"]  # no existing label loses its class
    assert "cat" in caplog.text
    source.classes = {}
    source.default_classes = ["zebra", "cat", "dog"]
    spec = build_label_schema(source, backend, label_field="ground_truth")["ground_truth"]
    assert spec["classes"] == ["zebra", "cat", "dog"]


def test_list_form_and_kwargs_as_defaults(backend):
    schema = build_label_schema(
        _gt_source(),
        backend,
        label_schema=["ground_truth", "weather"],
        attributes=False,
        allow_deletions=False,
    )
    assert schema["ground_truth"]["attributes"] == {}
    assert schema["weather"]["type"] == "classification"
    assert schema["weather"]["classes"] == ["sunny"]
    assert schema["weather"]["allow_deletions"] is False
    schema = build_label_schema(
        PlainSource(),
        backend,
        label_schema={"a": {}, "b": {"classes": ["z"]}},
        label_type="detections",
        classes=["x", "y"],
    )
    assert schema["a"]["classes"] == ["x", "y"] and schema["b"]["classes"] == ["z"]
    assert schema["a"]["type"] == schema["b"]["type"] == "detections"
    schema = build_label_schema(
        PlainSource(),
        backend,
        label_schema={"seg": {"type": "segmentation"}, "boxes": {"type": "detections"}},
        classes=["x"],
        mask_targets={1: "road"},
        attributes={"note": {"type": "text"}},
    )  # field-wide defaults apply only where they make sense
    assert schema["seg"]["mask_targets"] == {1: "road"} and "mask_targets" not in schema["boxes"]
    assert schema["boxes"]["classes"] == ["x"] and "note" in schema["boxes"]["attributes"]


def test_class_groups_with_per_class_attributes(backend):
    schema = build_label_schema(
        PlainSource(),
        backend,
        label_schema={
            "new_field": {
                "type": "detections",
                "classes": [
                    {
                        "classes": ["class1", "class2"],
                        "attributes": {
                            "attr1": {"type": "select", "values": ["val1", "val2"]},
                            "free": {},
                        },
                    },
                    "class3",
                ],
                "attributes": {"attr2": {"type": "radio", "values": [True, False]}},
            }
        },
    )
    spec = schema["new_field"]
    assert class_names(spec) == ["class1", "class2", "class3"]
    assert set(schema_attributes(spec, "class1")) == {"attr1", "free", "attr2"}
    assert set(schema_attributes(spec, "class3")) == {"attr2"}
    assert spec["classes"][0]["attributes"]["free"] == {"type": "text", "values": []}


def test_spec_examples_get_the_values_a_server_needs(backend):
    attrs = {
        "caption": {"type": "text"},
        "visible": {"type": "checkbox", "default": False},
        "is_truncated": {"type": "radio", "values": [True, False], "default": False},
        "type": {"type": "select", "values": ["sedan", "suv"], "mutable": False},
        "make": {"type": "text", "read_only": True},
    }
    spec = build_label_schema(
        PlainSource(),
        backend,
        label_field="new_field",
        label_type="detections",
        classes=["vehicle"],
        attributes=attrs,
    )["new_field"]
    assert spec["attributes"]["caption"] == {"type": "text", "values": []}
    assert spec["attributes"]["visible"]["values"] == [True, False]
    assert spec["attributes"]["make"]["read_only"] is True
    assert spec["attributes"]["type"]["mutable"] is False


def test_attribute_names_list_use_recommended_widgets(backend):
    spec = build_label_schema(
        _gt_source(), backend, label_field="ground_truth", attributes=["occluded", "attr2"]
    )["ground_truth"]
    assert spec["attributes"] == {
        "occluded": {"type": "occluded"},
        "attr2": {"type": "text", "values": []},
    }
    spec = build_label_schema(
        _gt_source(),
        backend,
        label_field="ground_truth",
        attributes={"iscrowd": {}, "attr2": {"type": "text"}},
    )["ground_truth"]
    assert spec["attributes"]["iscrowd"] == {"type": "text", "values": []}


def test_scalars_segmentation_and_polylines(backend):
    schema = build_label_schema(
        _gt_source(),
        backend,
        label_schema={
            "scalar1": {"type": "scalar"},
            "scalar2": {"type": "scalar", "classes": ["class1", "class2"]},
            "count": {},
            "seg": {},
            "new_seg": {"type": "segmentation", "mask_targets": {"1": "cat", 2: "dog"}},
            "lines": {},
        },
    )
    assert schema["scalar1"]["classes"] == [] and schema["count"]["type"] == "scalar"
    assert schema["seg"]["mask_targets"] == DEFAULT_MASK_TARGETS
    assert schema["new_seg"]["mask_targets"] == {1: "cat", 2: "dog"}
    assert schema["new_seg"]["classes"] == ["cat", "dog"]
    assert schema["lines"]["type"] == "polylines"  # mixed: every polyline is uploaded
    round_trip = deserialize_schema(serialize_schema(schema))
    assert round_trip == schema


def test_detections_with_masks_are_never_dropped(backend, caplog):
    source = _gt_source()
    source.labels["ground_truth"][0]["mask"] = np.ones((3, 3), bool)
    with caplog.at_level(logging.INFO):
        spec = build_label_schema(source, backend, label_field="ground_truth")["ground_truth"]
    assert spec["type"] == "detections"
    assert "1 of 3 detections have masks" in caplog.text
    assert build_label_schema(source, backend, label_field="masked")["masked"]["type"] == (
        "instances"
    )


def test_video_frame_fields_and_keyframes(backend):
    source = PlainSource(
        media_type="video",
        fields={"frames.dets": FieldInfo(label_cls=fol.Detections)},
        labels={
            "frames.dets": [
                fol.Detection(label="car", bounding_box=[0, 0, 1, 1], keyframe=True, speed=3),
                fol.Detection(label="car", bounding_box=[0, 0, 1, 1], keyframe=False),
            ]
        },
    )
    spec = build_label_schema(source, backend, label_field="frames.dets")["frames.dets"]
    assert spec["only_keyframes"] is True
    assert spec["allow_index_edits"] is True
    assert set(spec["attributes"]) == {"speed"}  # keyframe is never offered as an attribute


INVALID = [
    # (description, kwargs, words the message must contain)
    ("no field at all", {}, ["label_field"]),
    ("schema not a dict", {"label_schema": "gt"}, ["label_schema"]),
    ("empty schema", {"label_schema": {}}, ["label_schema"]),
    ("list with non-string", {"label_schema": ["a", 3]}, ["label_schema", "3"]),
    ("list with duplicate", {"label_schema": ["a", "a"]}, ["'a'", "twice"]),
    ("field spec not a dict", {"label_schema": {"f": ["detections"]}}, ["label_schema['f']"]),
    ("label_field not a string", {"label_field": 5}, ["label_field"]),
    (
        "field name with dash",
        {"label_field": "my-field", "label_type": "detections", "classes": ["a"]},
        ["my-field"],
    ),
    ("field name empty", {"label_schema": {"": {"type": "scalar"}}}, ["non-empty"]),
    (
        "reserved field name",
        {"label_field": "filepath", "label_type": "scalar"},
        ["filepath", "built-in"],
    ),
    (
        "frames field on images",
        {"label_field": "frames.x", "label_type": "detections", "classes": ["a"]},
        ["frames.x", "frame-level"],
    ),
    (
        "unknown key in field",
        {"label_schema": {"f": {"type": "scalar", "clases": ["a"]}}},
        ["clases"],
    ),
    (
        "unknown edit flag kwarg",
        {"label_field": "gt", "allow_everything": True},
        ["allow_everything"],
    ),
    (
        "edit flag not bool",
        {"label_field": "ground_truth", "allow_additions": "no"},
        ["allow_additions"],
    ),
    (
        "edit flag not bool in schema",
        {"label_schema": {"ground_truth": {"allow_deletions": 0}}},
        ["allow_deletions", "ground_truth"],
    ),
    ("new field without type", {"label_field": "new", "classes": ["a"]}, ["'new'", "label_type"]),
    (
        "unknown label type",
        {"label_field": "new", "label_type": "boxes", "classes": ["a"]},
        ["boxes"],
    ),
    (
        "type mismatching field",
        {"label_field": "ground_truth", "label_type": "classifications"},
        ["ground_truth", "classifications"],
    ),
    (
        "instances with unmasked detections",
        {"label_field": "ground_truth", "label_type": "instances"},
        ["ground_truth", "no mask"],
    ),
    (
        "scalar field as detections",
        {"label_field": "count", "label_type": "detections"},
        ["count", "scalar"],
    ),
    ("unsupported existing field", {"label_field": "blob"}, ["blob"]),
    (
        "label field as scalar",
        {"label_field": "weather", "label_type": "scalar"},
        ["weather", "scalar"],
    ),
    (
        "new field without classes",
        {"label_field": "new", "label_type": "detections"},
        ["'new'", "classes"],
    ),
    (
        "classes not a list",
        {"label_field": "new", "label_type": "detections", "classes": "cat"},
        ["classes"],
    ),
    (
        "classes empty",
        {"label_field": "new", "label_type": "detections", "classes": []},
        ["classes", "empty"],
    ),
    (
        "class not a string",
        {"label_field": "new", "label_type": "detections", "classes": ["a", 1]},
        ["classes", "1"],
    ),
    (
        "duplicate classes",
        {"label_field": "new", "label_type": "detections", "classes": ["a", "a"]},
        ["'a'", "more than once"],
    ),
    (
        "class group without attributes",
        {"label_field": "new", "label_type": "detections", "classes": [{"classes": ["a"]}]},
        ["class group", "attributes"],
    ),
    (
        "class group extra key",
        {
            "label_field": "new",
            "label_type": "detections",
            "classes": [{"classes": ["a"], "attributes": {}, "x": 1}],
        },
        ["class group", "'x'"],
    ),
    (
        "class group empty classes",
        {
            "label_field": "new",
            "label_type": "detections",
            "classes": [{"classes": [], "attributes": {}}],
        },
        ["class group", "non-empty"],
    ),
    (
        "class group attributes list",
        {
            "label_field": "new",
            "label_type": "detections",
            "classes": [{"classes": ["a"], "attributes": ["x"]}],
        },
        ["class group", "attributes"],
    ),
    (
        "class group bad attribute",
        {
            "label_field": "new",
            "label_type": "detections",
            "classes": [{"classes": ["a"], "attributes": {"x": {"type": "slider"}}}],
        },
        ["'x'", "slider"],
    ),
    (
        "attributes wrong type",
        {"label_field": "new", "label_type": "detections", "classes": ["a"], "attributes": 3},
        ["attributes"],
    ),
    (
        "attribute list non-string",
        {"label_field": "ground_truth", "attributes": ["a", 2]},
        ["attribute names"],
    ),
    (
        "attribute list duplicate",
        {"label_field": "ground_truth", "attributes": ["a", "a"]},
        ["'a'", "twice"],
    ),
    (
        "attribute spec not a dict",
        {
            "label_field": "new",
            "label_type": "detections",
            "classes": ["a"],
            "attributes": {"x": "text"},
        },
        ["'x'", "dict"],
    ),
    (
        "attribute spec without type",
        {
            "label_field": "new",
            "label_type": "detections",
            "classes": ["a"],
            "attributes": {"x": {"values": [1]}},
        },
        ["'x'", "'type'"],
    ),
    (
        "attribute type unsupported",
        {
            "label_field": "new",
            "label_type": "detections",
            "classes": ["a"],
            "attributes": {"x": {"type": "slider"}},
        },
        ["'x'", "slider"],
    ),
    (
        "select without values",
        {
            "label_field": "new",
            "label_type": "detections",
            "classes": ["a"],
            "attributes": {"x": {"type": "select"}},
        },
        ["'x'", "values"],
    ),
    (
        "radio with empty values",
        {
            "label_field": "new",
            "label_type": "detections",
            "classes": ["a"],
            "attributes": {"x": {"type": "radio", "values": []}},
        },
        ["'x'", "values"],
    ),
    (
        "values not a list",
        {
            "label_field": "new",
            "label_type": "detections",
            "classes": ["a"],
            "attributes": {"x": {"type": "select", "values": "ab"}},
        },
        ["'x'", "values"],
    ),
    (
        "values with a dict",
        {
            "label_field": "new",
            "label_type": "detections",
            "classes": ["a"],
            "attributes": {"x": {"type": "select", "values": [{}]}},
        },
        ["'x'", "values"],
    ),
    (
        "duplicate values",
        {
            "label_field": "new",
            "label_type": "detections",
            "classes": ["a"],
            "attributes": {"x": {"type": "select", "values": ["a", "a"]}},
        },
        ["'x'", "duplicates"],
    ),
    (
        "default not in values",
        {
            "label_field": "new",
            "label_type": "detections",
            "classes": ["a"],
            "attributes": {"x": {"type": "select", "values": ["a"], "default": "b"}},
        },
        ["'x'", "default"],
    ),
    (
        "unknown spec key",
        {
            "label_field": "new",
            "label_type": "detections",
            "classes": ["a"],
            "attributes": {"x": {"type": "text", "readonly": True}},
        },
        ["'x'", "readonly"],
    ),
    (
        "mutable not bool",
        {
            "label_field": "new",
            "label_type": "detections",
            "classes": ["a"],
            "attributes": {"x": {"type": "text", "mutable": "yes"}},
        },
        ["'x'", "mutable"],
    ),
    (
        "read_only not bool",
        {
            "label_field": "new",
            "label_type": "detections",
            "classes": ["a"],
            "attributes": {"x": {"type": "text", "read_only": 1}},
        },
        ["'x'", "read_only"],
    ),
    (
        "checkbox with strings",
        {
            "label_field": "new",
            "label_type": "detections",
            "classes": ["a"],
            "attributes": {"x": {"type": "checkbox", "values": ["y", "n"]}},
        },
        ["'x'", "booleans"],
    ),
    (
        "checkbox default not bool",
        {
            "label_field": "new",
            "label_type": "detections",
            "classes": ["a"],
            "attributes": {"x": {"type": "checkbox", "default": "no"}},
        },
        ["'x'", "bool"],
    ),
    (
        "two occluded attributes",
        {
            "label_field": "new",
            "label_type": "detections",
            "classes": ["a"],
            "attributes": {"o1": {"type": "occluded"}, "o2": {"type": "occluded"}},
        },
        ["occluded", "o1", "o2"],
    ),
    (
        "two group_id attributes",
        {
            "label_field": "new",
            "label_type": "detections",
            "classes": ["a"],
            "attributes": {"g1": {"type": "group_id"}, "g2": {"type": "group_id"}},
        },
        ["group_id", "g1"],
    ),
    (
        "group_id with values",
        {
            "label_field": "new",
            "label_type": "detections",
            "classes": ["a"],
            "attributes": {"g": {"type": "group_id", "values": [1]}},
        },
        ["'g'", "values"],
    ),
    (
        "occluded on tags",
        {
            "label_field": "new",
            "label_type": "classification",
            "classes": ["a"],
            "attributes": {"o": {"type": "occluded"}},
        },
        ["'o'", "spatial"],
    ),
    (
        "reserved attribute name",
        {
            "label_field": "new",
            "label_type": "detections",
            "classes": ["a"],
            "attributes": {"label_id": {"type": "text"}},
        },
        ["label_id", "reserved"],
    ),
    (
        "attributes on scalar",
        {"label_field": "s", "label_type": "scalar", "attributes": {"x": {"type": "text"}}},
        ["'s'", "attributes"],
    ),
    (
        "scalar classes not a list",
        {"label_schema": {"s": {"type": "scalar", "classes": "abc"}}},
        ["'s'", "classes"],
    ),
    (
        "segmentation with classes",
        {"label_schema": {"s": {"type": "segmentation", "classes": ["a"]}}},
        ["'s'", "mask_targets"],
    ),
    (
        "new segmentation without targets",
        {"label_field": "s", "label_type": "segmentation"},
        ["'s'", "mask_targets"],
    ),
    (
        "mask_targets bad key",
        {"label_field": "s", "label_type": "segmentation", "mask_targets": {"one": "a"}},
        ["mask_targets", "one"],
    ),
    (
        "mask_targets empty name",
        {"label_field": "s", "label_type": "segmentation", "mask_targets": {1: ""}},
        ["mask_targets[1]"],
    ),
    (
        "mask_targets duplicate names",
        {"label_field": "s", "label_type": "segmentation", "mask_targets": {1: "a", 2: "a"}},
        ["mask_targets", "several"],
    ),
    (
        "mask_targets on detections",
        {
            "label_field": "new",
            "label_type": "detections",
            "classes": ["a"],
            "mask_targets": {1: "a"},
        },
        ["mask_targets", "segmentation"],
    ),
]


@pytest.mark.parametrize("kwargs, words", [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_schemas_are_refused_with_a_message_naming_the_problem(backend, kwargs, words):
    with pytest.raises(ValueError) as info:
        build_label_schema(_gt_source(), backend, **kwargs)
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_attribute_in_group_and_field_the_group_wins_for_its_classes(backend):
    # the reference accepts it (e.g. attributes=True inferring what a class group redefines)
    schema = build_label_schema(
        _gt_source(),
        backend,
        label_field="new",
        label_type="detections",
        classes=[{"classes": ["a"], "attributes": {"x": {"type": "select", "values": [1]}}}, "b"],
        attributes={"x": {"type": "text"}},
    )["new"]
    assert schema_attributes(schema, "a")["x"]["type"] == "select"
    assert schema_attributes(schema, "b")["x"]["type"] == "text"


def test_catalogue_is_large_enough():
    assert len(INVALID) >= 40


def test_invalid_video_schemas(backend, monkeypatch):
    video = PlainSource(media_type="video")
    with pytest.raises(ValueError, match="'frames.gt' instead"):
        build_label_schema(
            video, backend, label_field="gt", label_type="classification", classes=["a"]
        )
    monkeypatch.setattr(type(backend), "supports_video_sample_fields", True)
    with pytest.raises(ValueError, match="use 'frames.gt'"):
        build_label_schema(video, backend, label_field="gt", label_type="detections", classes=["a"])
    schema = build_label_schema(
        video, backend, label_field="gt", label_type="classification", classes=["a"]
    )
    assert schema["gt"]["type"] == "classification"


def test_backend_declared_types_make_validation_backend_aware(backend, monkeypatch):
    monkeypatch.setattr(type(backend), "supported_label_types", ("detections",))
    with pytest.raises(ValueError, match="cannot annotate 'polylines'"):
        build_label_schema(
            PlainSource(), backend, label_field="p", label_type="polylines", classes=["a"]
        )
    with pytest.raises(ValueError, match="cannot annotate 'pdf'"):
        build_label_schema(PlainSource(media_type="pdf"), backend, label_field="p")
