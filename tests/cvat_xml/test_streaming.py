"""The reader yields records while reading; the writer writes as it goes."""

from __future__ import annotations

import io
import os

import pytest

from labelloop.cvat.xml import CVATXMLError, CVATXMLWriter, iter_cvat_xml, load_cvat_xml, task_meta


class _CountingReader(io.BytesIO):
    """A binary stream that records how many bytes were consumed."""

    consumed = 0

    def read(self, size=-1):
        data = super().read(size)
        self.consumed += len(data)
        return data


def _many_images(path, count: int) -> None:
    meta = task_meta(name="many", labels=[], size=count)
    with CVATXMLWriter(path, meta) as writer:
        for i in range(count):
            shape = {"type": "rectangle", "label": "car", "points": [i, i, i + 10.5, i + 20.25]}
            writer.write_image(
                {"id": i, "name": f"{i:05d}.jpg", "width": 64, "height": 48, "shapes": [shape]}
            )


def test_records_arrive_before_the_file_is_read(tmp_path):
    path = tmp_path / "many.xml"
    _many_images(path, 400)
    stream = _CountingReader(path.read_bytes())
    records = iter_cvat_xml(stream, chunk_size=4096)
    kind, meta = next(records)
    assert kind == "meta" and meta["task"]["size"] == "400"
    kind, first = next(records)
    assert (kind, first["name"]) == ("image", "00000.jpg")
    assert stream.consumed < os.path.getsize(path) / 10
    rest = [record for _, record in records]
    assert [r["id"] for r in rest] == list(range(1, 400))
    assert rest[-1]["shapes"][0]["points"] == [399.0, 399.0, 409.5, 419.25]


def test_writer_streams_to_disk_and_moves_into_place_on_close(tmp_path):
    path = tmp_path / "out.xml"
    writer = CVATXMLWriter(path, task_meta(name="t", labels=[], size=2))
    writer.write_image({"id": 0, "name": "a.jpg"})
    assert not path.exists()
    partial = tmp_path / "out.xml.partial"
    assert partial.exists()
    writer.close()
    assert path.exists() and not partial.exists()
    assert [im["name"] for im in load_cvat_xml(path).images] == ["a.jpg"]


def test_failure_inside_with_leaves_no_file(tmp_path):
    path = tmp_path / "out.xml"
    with pytest.raises(CVATXMLError, match="unknown shape type 'blob'"):
        with CVATXMLWriter(path, task_meta(name="t", labels=[], size=1)) as writer:
            writer.write_image(
                {"id": 0, "name": "a.jpg", "shapes": [{"type": "blob", "label": "x"}]}
            )
    assert list(tmp_path.iterdir()) == []


def test_invalid_record_writes_nothing_of_itself():
    buf = io.BytesIO()
    writer = CVATXMLWriter(buf, task_meta(name="t", labels=[], size=2))
    writer.write_image({"id": 0, "name": "a.jpg"})
    before = buf.getvalue()
    bad = {"type": "polygon", "label": "x", "points": [1, 2, 3, 4]}
    with pytest.raises(CVATXMLError, match="a polygon needs at least 3"):
        writer.write_image({"id": 1, "name": "b.jpg", "shapes": [bad]})
    assert buf.getvalue() == before
    writer.close()
    assert [im["name"] for im in load_cvat_xml(io.BytesIO(buf.getvalue())).images] == ["a.jpg"]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"id": -1, "name": "a.jpg"}, "'id' must be an int >= 0"),
        ({"id": 0, "name": ""}, "'name' must be a non-empty string"),
        ({"id": 0, "name": "a\x01.jpg"}, "control characters"),
        ({"id": 0, "name": "a", "tags": [{"label": ""}]}, "'label' must be a non-empty string"),
        (
            {"id": 0, "name": "a", "tags": [{"label": "t", "attributes": [{"value": "v"}]}]},
            "attributes must be",
        ),
        (
            {
                "id": 0,
                "name": "a",
                "shapes": [{"type": "mask", "label": "m", "points": [5, 0, 0, 1, 1]}],
            },
            "does not cover its box",
        ),
        (
            {
                "id": 0,
                "name": "a",
                "shapes": [{"type": "rectangle", "label": "m", "points": [1, 2]}],
            },
            "a rectangle needs 4 numbers",
        ),
        (
            {
                "id": 0,
                "name": "a",
                "shapes": [{"type": "points", "label": "m", "points": [1, 2], "z_order": "top"}],
            },
            "'z_order' must be a number, got 'top'",
        ),
        (
            {"id": 0, "name": "a", "tags": [{"label": "t", "group": 1.5}]},
            "'group' must be an integer",
        ),
        (
            {
                "id": 0,
                "name": "a",
                "shapes": [{"type": "points", "label": "m", "points": [1, float("nan")]}],
            },
            "NaN or infinite",
        ),
    ],
)
def test_writer_rejects_bad_records_with_the_reason(record, message):
    writer = CVATXMLWriter(io.BytesIO(), task_meta(name="t", labels=[], size=1))
    with pytest.raises(CVATXMLError, match=message):
        writer.write_image(record)


def test_track_frame_must_be_a_frame_index():
    writer = CVATXMLWriter(
        io.BytesIO(), task_meta(name="t", labels=[], size=1, mode="interpolation")
    )
    shape = {"type": "points", "points": [1, 2], "frame": "3"}
    with pytest.raises(CVATXMLError, match="'frame' must be an int >= 0"):
        writer.write_track({"label": "p", "shapes": [shape]})


def test_meta_rejects_values_xml_cannot_hold():
    with pytest.raises(CVATXMLError, match="lists are only allowed"):
        CVATXMLWriter(io.BytesIO(), {"task": {"things": [1, 2]}})
    with pytest.raises(CVATXMLError, match="not a valid XML element name"):
        CVATXMLWriter(io.BytesIO(), {"task": {"bad name": "x"}})
