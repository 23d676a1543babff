"""Reading CVAT XML into the object model and writing it back, losslessly."""

from __future__ import annotations

import io

import defusedxml.ElementTree as DET
import pytest

from labelloop.cvat.xml import CVATXMLWriter, immutable_attributes, load_cvat_xml, meta_labels
from tests.cvat_xml.samples import IMAGES_XML, VIDEO_XML


def _write(doc) -> bytes:
    buf = io.BytesIO()
    with CVATXMLWriter(buf, doc.meta) as writer:
        for image in doc.images:
            writer.write_image(image)
        for track in doc.tracks:
            writer.write_track(track)
    return buf.getvalue()


def _load(text: str):
    return load_cvat_xml(io.BytesIO(text.encode()))


def test_image_records_match_an_independent_dom_parse():
    doc = _load(IMAGES_XML)
    dom = DET.fromstring(IMAGES_XML)
    dom_images = dom.findall("image")
    assert [im["name"] for im in doc.images] == [e.get("name") for e in dom_images]
    for image, element in zip(doc.images, dom_images):
        assert image["id"] == int(element.get("id"))
        assert (image["width"], image["height"]) == (
            int(element.get("width")),
            int(element.get("height")),
        )
        assert image["subset"] == element.get("subset")
        assert image["task_id"] == int(element.get("task_id"))
        children = [c for c in element if c.tag != "tag"]
        assert [s["label"] for s in image["shapes"]] == [c.get("label") for c in children]
        for shape, child in zip(image["shapes"], children):
            assert shape["frame"] == image["id"]
            assert shape["occluded"] == (child.get("occluded") == "1")
            assert shape["z_order"] == int(child.get("z_order", 0))
            assert shape["group"] == int(child.get("group_id", 0))
            assert shape["source"] == child.get("source")
            assert shape["rotation"] == float(child.get("rotation", 0))
            assert shape["attributes"] == [
                {"name": a.get("name"), "value": a.text or ""} for a in child.findall("attribute")
            ]
        tags = element.findall("tag")
        assert [t["label"] for t in image["tags"]] == [t.get("label") for t in tags]


def test_every_shape_kind_maps_to_cvat_points():
    shapes = {s["type"]: s for s in _load(IMAGES_XML).images[0]["shapes"]}
    box = DET.fromstring(IMAGES_XML).find("image/box")
    assert shapes["rectangle"]["points"] == [
        float(box.get(k)) for k in ("xtl", "ytl", "xbr", "ybr")
    ]
    assert shapes["rectangle"]["rotation"] == float(box.get("rotation"))
    # ellipse: centre, then the bounding-box corner (cx + rx, cy - ry) as CVAT holds it
    cx, cy, x2, y2 = shapes["ellipse"]["points"]
    assert (x2 - cx, cy - y2) == pytest.approx((40.5, 20.25))
    # mask: RLE then [left, top, right, bottom] inclusive
    mask = shapes["mask"]["points"]
    left, top, right, bottom = mask[-4:]
    assert (right - left + 1) * (bottom - top + 1) == sum(mask[:-4])
    assert (left, top) == (100, 200)
    assert len(shapes["cuboid"]["points"]) == 16
    assert len(shapes["polygon"]["points"]) == 6
    skeleton = shapes["skeleton"]
    assert skeleton["points"] == [] and len(skeleton["elements"]) == 1
    tip = skeleton["elements"][0]
    assert (tip["label"], tip["outside"], tip["points"]) == ("tip", True, [50.0, 60.0])
    assert tip["attributes"] == [{"name": "nail", "value": "painted & long"}]


def test_meta_keeps_structure_with_typed_label_specs():
    doc = _load(IMAGES_XML)
    project = doc.meta["project"]
    assert project["tasks"][0]["segments"][0]["url"].endswith("/api/jobs/52")
    assert project["tasks"][0]["owner"] == {"username": "ann", "email": "ann@example.org"}
    labels = meta_labels(doc.meta)
    assert [label["name"] for label in labels] == ["vehicle", "weather", "hand", "tip"]
    make = labels[0]["attributes"][0]
    assert make["values"] == ["ford", "fiat", "kia"] and make["mutable"] is False
    assert labels[1]["attributes"] == []
    assert labels[3]["parent"] == "hand"
    assert 'data-label-name="tip"' in labels[2]["svg"]
    assert immutable_attributes(doc.meta) == {"vehicle": {"make"}}


@pytest.mark.parametrize("text", [IMAGES_XML, VIDEO_XML], ids=["images", "video"])
def test_read_write_read_is_lossless_and_write_is_stable(text):
    doc = _load(text)
    written = _write(doc)
    again = load_cvat_xml(io.BytesIO(written))
    assert again == doc
    assert _write(again) == written
    # the writer reproduces the hand-written CVAT layout byte for byte
    assert written.decode() == text


def test_tracks_keep_keyframes_outside_and_lift_immutable_attributes():
    doc = _load(VIDEO_XML)
    person = doc.tracks[0]
    assert (person["id"], person["label"], person["group"]) == (0, "person", 2)
    assert person["attributes"] == [{"name": "identity", "value": "bob"}]
    assert [s["frame"] for s in person["shapes"]] == [3, 4, 5, 6]
    assert [s["keyframe"] for s in person["shapes"]] == [True, False, True, True]
    assert [s["outside"] for s in person["shapes"]] == [False, False, False, True]
    assert person["shapes"][1]["occluded"] is True
    assert [s["attributes"] for s in person["shapes"][1:3]] == [
        [{"name": "pose", "value": "standing"}],
        [{"name": "pose", "value": "sitting"}],
    ]
    assert all(s["label"] == "person" and s["group"] == 2 for s in person["shapes"])
    skeleton = doc.tracks[2]["shapes"]
    assert [e["outside"] for s in skeleton for e in s["elements"]] == [False, True]
    assert skeleton[0]["elements"][0]["occluded"] is True
    assert skeleton[0]["elements"][0]["frame"] == 2
    assert doc.tracks[3]["shapes"][0]["type"] == "mask"
    assert doc.meta["task"]["original_size"] == {"width": "1280", "height": "720"}


def test_immutable_attributes_stay_on_shapes_without_meta():
    body = VIDEO_XML.split("</meta>\n", 1)[1]
    doc = _load('<?xml version="1.0" encoding="utf-8"?>\n<annotations>\n' + body)
    assert doc.meta == {}
    assert doc.tracks[0]["attributes"] == []
    assert {"name": "identity", "value": "bob"} in doc.tracks[0]["shapes"][0]["attributes"]


def test_sub_pixel_coordinates_use_two_decimals():
    from labelloop.cvat.xml import task_meta

    shape = {"type": "rectangle", "label": "a", "points": [1.004, 2.005, 3.3333, 4.6666]}
    buf = io.BytesIO()
    with CVATXMLWriter(buf, task_meta(name="t", labels=[], size=1)) as writer:
        writer.write_image({"id": 0, "name": "a.jpg", "width": 8, "height": 8, "shapes": [shape]})
    box = DET.fromstring(buf.getvalue()).find("image/box")
    values = [box.get(k) for k in ("xtl", "ytl", "xbr", "ybr")]
    assert values == [f"{v:.2f}" for v in shape["points"]]
    read = load_cvat_xml(io.BytesIO(buf.getvalue())).images[0]["shapes"][0]["points"]
    assert read == [float(v) for v in values]
