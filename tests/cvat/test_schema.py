"""Label schema -> CVAT labels: names, provenance attribute, collisions, projects."""

from __future__ import annotations

import pytest

from labelloop.cvat.schema import (
    ID_ATTR,
    MISSING_POINTS_ATTR,
    build_schema,
    cvat_attribute,
    schema_from_project,
)


def _attrs(labels, name):
    label = next(x for x in labels if x["name"] == name)
    return {a["name"]: a for a in label["attributes"]}


def test_classes_get_provenance_and_schema_attributes():
    schema = {
        "gt": {
            "type": "detections",
            "classes": [
                "cat",
                {
                    "classes": ["dog"],
                    "attributes": {
                        "breed": {"type": "select", "values": ["a", "b"], "default": "b"}
                    },
                },
            ],
            "attributes": {
                "iscrowd": {"type": "checkbox", "values": [True, False]},
                "occ": {"type": "occluded"},
            },
        }
    }
    out = build_schema(schema)
    cat, dog = _attrs(out.labels, "cat"), _attrs(out.labels, "dog")
    assert ID_ATTR in cat and cat[ID_ATTR]["input_type"] == "text"
    assert "occ" not in cat  # bound to the shape flag, not a CVAT attribute
    assert "breed" not in cat and dog["breed"]["values"] == ["b", "a"]
    assert dog["breed"]["default_value"] == "b"
    assert cat["iscrowd"]["input_type"] == "checkbox" and cat["iscrowd"]["values"] == ["false"]
    assert out.fields["gt"].options("dog").occluded == "occ"


def test_same_class_in_two_fields_is_renamed_and_maps_back():
    schema = {
        "dets": {"type": "detections", "classes": ["person", "car"]},
        "tags": {"type": "classifications", "classes": ["person"]},
    }
    out = build_schema(schema)
    names = sorted(label["name"] for label in out.labels)
    assert names == ["car", "person_dets", "person_tags"]
    spec, cls = out.owner("person_tags")
    assert spec.name == "tags" and cls == "person"
    assert out.owner("car")[0].name == "dets"
    assert out.owner("nope") is None


def test_scalars_without_and_with_classes():
    out = build_schema({"note": {"type": "scalar"}, "level": {"type": "scalar", "classes": [1, 2]}})
    by_name = {label["name"]: label for label in out.labels}
    assert [a["name"] for a in by_name["note"]["attributes"]] == ["value"]
    assert by_name["1"]["attributes"] == [] and by_name["2"]["attributes"] == []
    assert out.fields["level"].scalar_classes == [1, 2]
    assert out.owner("note") == (out.fields["note"], None)


def test_keypoints_record_missing_points():
    out = build_schema({"kp": {"type": "keypoints", "classes": ["face"]}})
    assert MISSING_POINTS_ATTR in _attrs(out.labels, "face")
    assert out.fields["kp"].options("face").missing_points_attr == MISSING_POINTS_ATTR


def test_long_names_and_reserved_attribute_are_refused():
    with pytest.raises(ValueError, match="64"):
        build_schema({"f": {"type": "detections", "classes": ["x" * 65]}})
    with pytest.raises(ValueError, match="reserved"):
        build_schema(
            {
                "f": {
                    "type": "detections",
                    "classes": ["a"],
                    "attributes": {ID_ATTR: {"type": "text"}},
                }
            }
        )


def test_text_attribute_gets_values_cvat_needs():
    assert cvat_attribute("note", {"type": "text"})["values"] == []
    assert cvat_attribute("note", {"type": "text", "default": "x"})["values"] == ["x"]


def test_project_labels_replace_classes_and_split_by_field_suffix():
    project = [
        {
            "name": "person_dets",
            "attributes": [{"name": ID_ATTR, "input_type": "text", "values": []}],
        },
        {"name": "person_tags", "attributes": []},
    ]
    schema = {
        "dets": {"type": "detections", "classes": ["ignored"]},
        "tags": {"type": "classifications"},
    }
    out = schema_from_project(schema, project, "p")
    assert out["dets"]["classes"] == [{"classes": ["person"], "attributes": {}}]
    assert out["tags"]["classes"] == [{"classes": ["person"], "attributes": {}}]
    # the rebuilt CVAT names match the project's labels again
    assert sorted(x["name"] for x in build_schema(out).labels) == ["person_dets", "person_tags"]
    # a label without a field suffix cannot be placed when every field already has labels
    with pytest.raises(ValueError, match="one field at a time"):
        schema_from_project(schema, [*project, {"name": "car", "attributes": []}], "p")


def test_single_field_takes_every_project_label():
    project = [
        {
            "name": "car",
            "attributes": [
                {
                    "name": "color",
                    "input_type": "select",
                    "values": ["red", "blue"],
                    "default_value": "red",
                    "mutable": False,
                }
            ],
        }
    ]
    out = schema_from_project({"gt": {"type": "detections"}}, project, "p")
    group = out["gt"]["classes"][0]
    assert group["classes"] == ["car"]
    assert group["attributes"]["color"] == {
        "type": "select",
        "values": ["red", "blue"],
        "default": "red",
        "mutable": False,
    }
