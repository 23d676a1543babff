"""Property test: any object-model record survives write -> read at two-decimal precision."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st

from labelloop.cvat.xml import CVATXMLWriter, attribute_spec, label_spec, load_cvat_xml, task_meta

_coord = st.floats(min_value=0, max_value=5000, allow_nan=False).map(lambda v: float(f"{v:.2f}"))
_printable = st.characters(whitelist_categories=("L", "N", "P", "S", "Zs"))
# "kind" is declared immutable below, so the reader would lift it to the track
_name = st.text(_printable, min_size=1, max_size=12).filter(lambda s: s != "kind")
_attrs = st.lists(
    st.fixed_dictionaries({"name": _name, "value": st.text(_printable, max_size=8)}), max_size=3
)


@st.composite
def _shape(draw, in_track: bool):
    kind = draw(st.sampled_from(["rectangle", "polygon", "polyline", "points", "mask"]))
    if kind == "rectangle":
        points = draw(st.lists(_coord, min_size=4, max_size=4))
    elif kind == "mask":
        w, h = draw(st.integers(1, 6)), draw(st.integers(1, 6))
        runs, left = [], w * h
        while left:
            run = draw(st.integers(0, left))
            runs.append(run)
            left -= run
        x, y = draw(st.integers(0, 50)), draw(st.integers(0, 50))
        points = [*runs, x, y, x + w - 1, y + h - 1]
    else:
        n = {"polygon": 3, "polyline": 2, "points": 1}[kind]
        points = draw(
            st.lists(_coord, min_size=2 * n, max_size=2 * n + 6).filter(lambda p: len(p) % 2 == 0)
        )
    shape = {
        "type": kind,
        "label": "thing",
        "points": points,
        "rotation": draw(st.sampled_from([0.0, 12.25])) if kind == "rectangle" else 0.0,
        "occluded": draw(st.booleans()),
        "z_order": draw(st.integers(-3, 3)),
        "attributes": draw(_attrs),
    }
    if in_track:
        shape["outside"] = draw(st.booleans())
        shape["keyframe"] = draw(st.booleans())
    else:
        shape["group"] = draw(st.integers(0, 4))
        shape["source"] = draw(st.sampled_from(["manual", "auto"]))
    return shape


@settings(max_examples=60, deadline=None)
@given(
    images=st.lists(st.lists(_shape(in_track=False), max_size=4), max_size=3),
    tracks=st.lists(st.lists(_shape(in_track=True), min_size=1, max_size=3), max_size=2),
)
def test_records_survive_write_then_read(images, tracks):
    labels = [
        label_spec("thing", attributes=[attribute_spec("kind", values=["a", "b"], mutable=False)])
    ]
    buf = io.BytesIO()
    with CVATXMLWriter(buf, task_meta(name="prop", labels=labels, size=len(images))) as writer:
        for i, shapes in enumerate(images):
            writer.write_image(
                {"id": i, "name": f"{i}.png", "width": 10, "height": 10, "shapes": shapes}
            )
        for shapes in tracks:
            for f, shape in enumerate(shapes):
                shape["frame"] = f
            writer.write_track({"label": "thing", "shapes": shapes})
    doc = load_cvat_xml(io.BytesIO(buf.getvalue()))
    assert doc.meta["task"]["labels"][0]["attributes"][0]["values"] == ["a", "b"]
    assert len(doc.images) == len(images)
    for written, read in zip(images, doc.images):
        for a, b in zip(written, read["shapes"], strict=True):
            for key in (
                "type",
                "points",
                "rotation",
                "occluded",
                "z_order",
                "group",
                "source",
                "attributes",
            ):
                assert b[key] == a[key], key
    assert [t["id"] for t in doc.tracks] == list(range(len(tracks)))
    for written, read in zip(tracks, doc.tracks):
        for a, b in zip(written, read["shapes"], strict=True):
            for key in ("type", "points", "occluded", "outside", "keyframe", "frame", "attributes"):
                assert b[key] == a[key], key
