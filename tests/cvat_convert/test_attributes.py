"""Attribute strings, type-aware decoding and the occluded/group/id bindings."""

from __future__ import annotations

import pytest

from labelloop.core.labels import Detection, Polyline
from labelloop.cvat.convert import ConvertOptions, detection, polyline
from labelloop.cvat.convert.attributes import decode_value, encode_value

BOX = [0.1, 0.2, 0.3, 0.4]


def test_text_attributes_stay_text_unless_coercion_is_asked():
    label = Detection(label="car", bounding_box=BOX, plate="007", flag="true")
    options = ConvertOptions(attributes={"plate": {"type": "text"}, "flag": {"type": "text"}})
    back = detection.from_cvat(
        detection.to_cvat(label, (100, 100), options=options)[0], (100, 100), options
    )
    assert back.plate == "007" and back.flag == "true"
    coercing = ConvertOptions(attributes=options.attributes, coerce_text=True)
    shape = detection.to_cvat(label, (100, 100), options=coercing)[0]
    back = detection.from_cvat(shape, (100, 100), coercing)
    assert back.plate == 7 and back.flag is True


def test_typed_schema_values_come_back_with_their_types():
    schema = {
        "truncated": {"type": "checkbox", "values": [True, False]},
        "level": {"type": "select", "values": [1, 2, 3]},
        "size": {"type": "radio", "values": ["small", "007"]},
        "score": {"type": "number"},
    }
    options = ConvertOptions(attributes=schema)
    label = Detection(
        label="car", bounding_box=BOX, truncated=False, level=2, size="007", score=0.1
    )
    shape = detection.to_cvat(label, (64, 48), options=options)[0]
    values = {a["name"]: a["value"] for a in shape["attributes"]}
    assert values == {
        "label_id": label.id,
        "truncated": "false",
        "level": "2",
        "size": "007",
        "score": "0.1",
    }
    back = detection.from_cvat(shape, (64, 48), options)
    assert (back.truncated, back.level, back.size, back.score) == (False, 2, "007", 0.1)


def test_select_value_outside_the_schema_is_refused_before_sending():
    options = ConvertOptions(attributes={"level": {"type": "select", "values": [1, 2]}})
    label = Detection(label="car", bounding_box=BOX, level=5)
    with pytest.raises(ValueError, match="'level'.*allowed values: \\['1', '2'\\]"):
        detection.to_cvat(label, (10, 10), options=options)


def test_occluded_and_group_bindings_use_shape_flags():
    options = ConvertOptions(occluded_attr="hidden", group_id_attr="crowd")
    label = Detection(label="car", bounding_box=BOX, hidden=True, crowd=4)
    shape = detection.to_cvat(label, (10, 10), options=options)[0]
    assert shape["occluded"] is True and shape["group"] == 4
    assert [a["name"] for a in shape["attributes"]] == ["label_id"]
    back = detection.from_cvat(shape, (10, 10), options)
    assert back.hidden is True and back.crowd == 4 and back.id == label.id


def test_schema_types_occluded_and_group_id_bind_like_explicit_names():
    options = ConvertOptions(attributes={"occ": {"type": "occluded"}, "gid": {"type": "group_id"}})
    label = Detection(label="car", bounding_box=BOX, occ=False, gid=2)
    shape = detection.to_cvat(label, (10, 10), options=options)[0]
    assert (shape["occluded"], shape["group"]) == (False, 2)
    back = detection.from_cvat(shape, (10, 10), options)
    assert back.occ is False and back.gid == 2


def test_bad_group_value_names_the_attribute():
    options = ConvertOptions(group_id_attr="crowd")
    with pytest.raises(ValueError, match="'crowd'.*non-negative integer"):
        detection.to_cvat(
            Detection(label="a", bounding_box=BOX, crowd=1.5), (5, 5), options=options
        )


def test_ids_are_optional_and_invalid_ids_give_new_ones():
    label = Detection(label="car", bounding_box=BOX)
    shape = detection.to_cvat(label, (10, 10), options=ConvertOptions(id_attr=None))[0]
    assert shape["attributes"] == []
    shape = detection.to_cvat(label, (10, 10))[0]
    shape["attributes"][0]["value"] = "not-an-id"
    assert detection.from_cvat(shape, (10, 10)).id != label.id


def test_value_encoding():
    assert [encode_value(v) for v in (True, False, 3, 0.1, "x")] == [
        "true",
        "false",
        "3",
        "0.1",
        "x",
    ]
    assert float(encode_value(1 / 3)) == 1 / 3
    with pytest.raises(ValueError, match="'tags_list'.*str, int, float or bool"):
        encode_value([1], "tags_list")
    assert decode_value("") is None
    assert decode_value("12", {"type": "number"}) == 12
    assert decode_value("true", {"type": "number"}) == "true"


def test_attribute_named_like_a_label_field_is_refused():
    shape = detection.to_cvat(Detection(label="car", bounding_box=BOX), (10, 10))[0]
    shape["attributes"].append({"name": "bounding_box", "value": "x"})
    with pytest.raises(ValueError, match="collides with the Detection field"):
        detection.from_cvat(shape, (10, 10))


def test_options_reject_unknown_attribute_types():
    with pytest.raises(ValueError, match="attributes\\['a'\\] has type 'slider'"):
        ConvertOptions(attributes={"a": {"type": "slider"}})


def test_class_attributes_apply_only_to_their_class():
    options = ConvertOptions(
        attributes={"note": {"type": "text"}},
        class_attributes={"car": {"doors": {"type": "select", "values": [2, 4]}}},
    )
    car = Detection(label="car", bounding_box=BOX, note="n", doors=4)
    bike = Detection(label="bike", bounding_box=BOX, note="n", doors=4)
    car_shape = detection.to_cvat(car, (10, 10), options=options)[0]
    bike_shape = detection.to_cvat(bike, (10, 10), options=options)[0]
    assert [a["name"] for a in car_shape["attributes"]] == ["label_id", "note", "doors"]
    assert [a["name"] for a in bike_shape["attributes"]] == ["label_id", "note"]
    assert detection.from_cvat(car_shape, (10, 10), options).doors == 4
    with pytest.raises(ValueError, match="class_attributes|attributes\\['x'\\]"):
        ConvertOptions(class_attributes={"car": {"x": {"type": "slider"}}})


def test_rotation_is_an_ordinary_attribute_for_non_rectangles():
    label = Polyline(label="r", points=[[(0, 0), (1, 1)]], rotation=5)
    (shape,) = polyline.to_cvat(label, (10, 10), options=ConvertOptions(id_attr=None))
    assert shape["attributes"] == [{"name": "rotation", "value": "5"}] and shape["rotation"] == 0


def test_uploaded_label_restores_number_and_bool_types_of_text_attributes():
    options = ConvertOptions(attributes={n: {"type": "text"} for n in ("iscrowd", "code", "ok")})
    label = Detection(label="car", bounding_box=BOX, iscrowd=0, code="007", ok=True)
    shape = detection.to_cvat(label, (10, 10), options=options)[0]
    plain = detection.from_cvat(shape, (10, 10), options)
    assert (plain.iscrowd, plain.code, plain.ok) == ("0", "007", "true")  # no type knowledge
    typed = detection.from_cvat(shape, (10, 10), options, template=label)
    assert (typed.iscrowd, typed.code, typed.ok) == (0, "007", True)
    shape["attributes"][1]["value"] = "many"  # annotator typed words into a number's box
    assert detection.from_cvat(shape, (10, 10), options, template=label).iscrowd == "many"
