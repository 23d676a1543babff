"""Track building (outside, keyframes, attributes, frame ranges) and expansion
against cases worked out by hand from CVAT's TrackManager algorithm."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from labelloop.core.labels import Classification, Detection, Detections, Keypoint, Polyline
from labelloop.cvat.convert import ConvertOptions, UnsupportedObjectError
from labelloop.cvat.tracks import FrameRange, build_tracks, expand_track, track_labels
from tests.cvat_convert.helpers import FAST, assert_close

SIZE = (100, 100)


def shape(frame, points, kind="rectangle", **extra):
    return {
        "type": kind,
        "frame": frame,
        "points": points,
        "rotation": 0.0,
        "occluded": False,
        "outside": False,
        "z_order": 0,
        "attributes": [],
        **extra,
    }


def track(*shapes, **extra):
    return {
        "label": "car",
        "frame": shapes[0]["frame"],
        "group": 0,
        "source": "manual",
        "attributes": [],
        "shapes": list(shapes),
        **extra,
    }


def box(frame_x, index=1, **extra):
    return Detection(label="car", bounding_box=[frame_x, 0.1, 0.2, 0.2], index=index, **extra)


# -- frame ranges ---------------------------------------------------------------


def test_frame_range_maps_start_stop_step_both_ways():
    frames = FrameRange(start=2, stop=15, step=3)
    assert frames.size(20) == 5
    assert [frames.to_cvat(n) for n in (3, 4, 6, 15, 16, 18)] == [0, None, 1, 4, None, None]
    assert [frames.to_frame_number(i) for i in range(5)] == [3, 6, 9, 12, 15]
    assert FrameRange().size(7) == 7 and FrameRange(stop=100).size(7) == 7
    with pytest.raises(ValueError, match="frame_step must be a positive integer"):
        FrameRange(step=0)
    with pytest.raises(ValueError, match="frame_stop \\(1\\) must be >= frame_start \\(2\\)"):
        FrameRange(start=2, stop=1)


# -- building -------------------------------------------------------------------


def test_tracks_get_outside_after_gaps_and_at_their_end():
    labels = [(n, box(n / 100)) for n in (1, 2, 3, 6, 7)]
    labels += [(n, box(n / 100, index=2)) for n in (9, 10)]
    labels += [(4, Detection(label="car", bounding_box=[0, 0, 0.1, 0.1]))]
    labels += [(5, Classification(label="rain"))]
    upload = build_tracks(labels, SIZE, frame_count=10)
    assert [(t["label"], t["frame"]) for t in upload.tags] == [("rain", 4)]
    first, second = upload.tracks
    assert first["frame"] == 0 and first["label"] == "car"
    assert [(s["frame"], s["outside"]) for s in first["shapes"]] == [
        (0, False),
        (1, False),
        (2, False),
        (3, True),
        (5, False),
        (6, False),
        (7, True),
    ]
    assert all(s["keyframe"] for s in first["shapes"])
    assert first["shapes"][3]["points"] == first["shapes"][2]["points"]  # copy of the last shape
    # A track reaching the last frame of the task needs no closing outside shape.
    assert [(s["frame"], s["outside"]) for s in second["shapes"]] == [(8, False), (9, False)]
    assert [(s["type"], s["frame"]) for s in upload.shapes] == [("rectangle", 3)]
    assert "label" not in first["shapes"][0] and "group" not in first["shapes"][0]


def test_immutable_attributes_live_on_the_track():
    options = ConvertOptions(
        attributes={
            "make": {"type": "text", "mutable": False},
            "lights": {"type": "checkbox", "values": [True, False]},
        }
    )
    labels = [(n, box(n / 100, make="fiat", lights=n % 2 == 0)) for n in (1, 2)]
    (built,) = build_tracks(labels, SIZE, frame_count=2, options=options).tracks
    assert built["attributes"] == [{"name": "make", "value": "fiat"}]
    assert [[a["name"] for a in s["attributes"]] for s in built["shapes"]] == [
        ["label_id", "lights"],
        ["label_id", "lights"],
    ]


def test_only_keyframes_are_sent_when_any_label_is_marked():
    labels = [(n, box(n / 100, keyframe=n == 3)) for n in range(1, 6)]
    (built,) = build_tracks(labels, SIZE, frame_count=8).tracks
    # first and last of the segment, the marked keyframe, and the closing outside shape
    assert [(s["frame"], s["outside"]) for s in built["shapes"]] == [
        (0, False),
        (2, False),
        (4, False),
        (5, True),
    ]


def test_explicit_keyframe_choice_overrides_the_markings():
    labels = [(n, box(n / 100, keyframe=n == 3)) for n in range(1, 6)]
    (built,) = build_tracks(labels, SIZE, frame_count=5, only_keyframes=False).tracks
    assert [s["frame"] for s in built["shapes"]] == [0, 1, 2, 3, 4]
    unmarked = [(n, box(n / 100)) for n in range(1, 6)]
    (built,) = build_tracks(unmarked, SIZE, frame_count=5, only_keyframes=True).tracks
    assert [s["frame"] for s in built["shapes"]] == [0, 4]


def test_frame_range_and_list_labels_and_multi_part_polylines():
    frames = FrameRange(start=1, step=2)  # CVAT holds media frames 1, 3, 5, ... (numbers 2, 4, 6)
    parts = [[(0, 0), (0.5, 0), (0.5, 0.5)], [(0.6, 0.6), (0.9, 0.6), (0.9, 0.9)]]
    labels = [(n, Polyline(label="r", points=parts, closed=True, index=1)) for n in range(1, 7)]
    labels += [(n, Detections(detections=[box(0.1), box(0.2, index=2)])) for n in (2, 4)]
    upload = build_tracks(labels, SIZE, frame_count=6, frame_range=frames)
    polygons = [t for t in upload.tracks if t["label"] == "r"]
    assert len(polygons) == 2  # one track per part
    assert [s["frame"] for s in polygons[0]["shapes"]] == [0, 1, 2]
    assert len([t for t in upload.tracks if t["label"] == "car"]) == 2


def test_two_objects_of_one_track_on_one_frame_are_refused():
    with pytest.raises(ValueError, match="Two 'car' labels with index 1 on CVAT frame 0"):
        build_tracks([(1, box(0.1)), (1, box(0.2))], SIZE, frame_count=3)


# -- expansion ------------------------------------------------------------------


def test_rectangles_interpolate_linearly_with_rotation_on_the_short_arc():
    kf0 = shape(0, [0, 0, 10, 10], rotation=350.0)
    kf4 = shape(4, [8, 4, 18, 14], rotation=10.0)
    gone = shape(6, [10, 10, 20, 20], outside=True)
    out = list(expand_track(track(kf0, kf4, gone), stop=10))
    assert [s["frame"] for s in out] == [0, 1, 2, 3, 4, 5]
    assert [s["keyframe"] for s in out] == [True, False, False, False, True, False]
    assert out[1]["points"] == [2, 1, 12, 11] and out[1]["rotation"] == 355.0
    assert out[2]["points"] == [4, 2, 14, 12] and out[2]["rotation"] == 0.0
    assert out[3]["rotation"] == 5.0
    # frame 5 moves halfway towards the outside shape's geometry, as CVAT does
    assert out[5]["points"] == [9, 7, 19, 17]
    assert all(s["label"] == "car" and not s["outside"] for s in out)


def test_opposite_angles_follow_cvats_one_degree_rule():
    out = list(
        expand_track(track(shape(0, [0, 0, 1, 1]), shape(2, [0, 0, 1, 1], rotation=180.0)), 3)
    )
    assert out[1]["rotation"] == 0.5


def test_last_shape_is_carried_to_the_end_and_later_keyframes_are_cut():
    out = list(expand_track(track(shape(2, [0, 0, 4, 4])), stop=5))
    assert [(s["frame"], s["keyframe"]) for s in out] == [(2, True), (3, False), (4, False)]
    out = list(expand_track(track(shape(0, [0, 0, 4, 4]), shape(10, [10, 0, 14, 4])), stop=3))
    assert [s["points"][0] for s in out] == [0, 1, 2]


def test_points_interpolate_only_when_single():
    single = list(expand_track(track(shape(0, [0, 0], "points"), shape(2, [4, 2], "points")), 3))
    assert single[1]["points"] == [2, 1]
    many = list(
        expand_track(track(shape(0, [0, 0, 1, 1], "points"), shape(2, [4, 4, 5, 5], "points")), 3)
    )
    assert many[1]["points"] == [0, 0, 1, 1]


def test_polyline_gains_a_vertex_through_point_matching():
    left = shape(0, [0, 0, 10, 0], "polyline")
    right = shape(2, [0, 10, 5, 10, 10, 10], "polyline")
    middle = list(expand_track(track(left, right), 3))[1]
    # left vertex 0 fans out to right vertices 0 and 1; both survive the thinning
    assert middle["points"] == [0, 5, 2.5, 5, 10, 5]
    right5 = dict(right, frame=5)
    frames = list(expand_track(track(left, right5), 6))
    # at 1/5 the fanned pair is 1px apart, under the 5/(2*2) threshold: averaged into one
    assert frames[1]["points"] == pytest.approx([0.5, 2, 10, 2])
    assert frames[4]["points"] == pytest.approx([0, 8, 4, 8, 10, 8])


def test_polyline_collapses_crowded_vertices_near_the_end():
    left = shape(0, [0, 0, 1, 0, 2, 0, 10, 0], "polyline")
    right = shape(10, [0, 10, 10, 10], "polyline")
    frames = list(expand_track(track(left, right), 11))
    assert frames[5]["points"] == pytest.approx([0, 5, 0.5, 5, 1, 5, 10, 5])
    assert frames[9]["points"] == pytest.approx([0.1, 9, 10, 9])


def test_polygon_interpolation_walks_the_closed_outline():
    left = shape(0, [0, 0, 10, 0, 0, 10], "polygon")
    right = shape(2, [10, 0, 20, 0, 10, 10], "polygon")
    middle = list(expand_track(track(left, right), 3))[1]
    assert middle["points"] == [5, 0, 15, 0, 5, 10]


def test_attributes_propagate_between_keyframes_and_track_attributes_join():
    kf0 = shape(
        0, [0, 0, 1, 1], attributes=[{"name": "a", "value": "1"}, {"name": "b", "value": "x"}]
    )
    kf2 = shape(2, [0, 0, 1, 1], attributes=[{"name": "a", "value": "2"}])
    t = track(kf0, kf2, attributes=[{"name": "make", "value": "fiat"}], group=3)
    out = list(expand_track(t, 3))
    as_dict = [{a["name"]: a["value"] for a in s["attributes"]} for s in out]
    assert as_dict == [
        {"a": "1", "b": "x", "make": "fiat"},
        {"a": "1", "b": "x", "make": "fiat"},
        {"a": "2", "b": "x", "make": "fiat"},
    ]
    assert {s["group"] for s in out} == {3}
    assert t["shapes"][1]["attributes"] == [{"name": "a", "value": "2"}]  # input untouched


def test_invalid_and_unsupported_tracks():
    same = shape(0, [0, 0, 1, 1])
    assert len(list(expand_track(track(same, dict(same)), 1))) == 1  # exact duplicate skipped
    with pytest.raises(ValueError, match="two different shapes on frame 0"):
        list(expand_track(track(same, shape(0, [0, 0, 2, 2])), 1))
    with pytest.raises(UnsupportedObjectError, match="Skeleton tracks"):
        list(expand_track(track(same, elements=[track(same)]), 1))
    masks = track(shape(0, [1, 0, 0, 0, 0], "mask"), shape(2, [1, 0, 0, 0, 0], "mask"))
    with pytest.raises(UnsupportedObjectError, match="cannot interpolate 'mask'"):
        list(expand_track(masks, 3))


# -- labels both ways -----------------------------------------------------------


def test_every_label_a_keyframe_comes_back_unchanged():
    labels = [(n, box(n / 20)) for n in range(1, 6)]
    (built,) = build_tracks(labels, SIZE, frame_count=8).tracks
    back = list(track_labels(built, SIZE, stop=8, index=1))
    assert [f for f, _ in back] == [0, 1, 2, 3, 4]
    for (_, original), (_, label) in zip(labels, back):
        assert label.id == original.id and label.index == 1 and label.keyframe is True
        assert label.bounding_box == pytest.approx(original.bounding_box, abs=1e-12)


def test_keyframe_uploads_are_filled_in_by_interpolation_with_fresh_ids():
    labels = [(n, box(n / 20, keyframe=n in (1, 5))) for n in range(1, 6)]
    sent = [s for s in build_tracks(labels, SIZE, frame_count=5).tracks[0]["shapes"]]
    assert [s["frame"] for s in sent] == [0, 4]
    back = list(
        track_labels(
            {"label": "car", "frame": 0, "group": 0, "attributes": [], "shapes": sent},
            SIZE,
            5,
            index=7,
        )
    )
    assert len(back) == 5
    for (_, original), (_, label) in zip(labels, back):
        assert label.bounding_box == pytest.approx(original.bounding_box, abs=1e-12)
        assert label.index == 7
    assert [label.id == original.id for (_, original), (_, label) in zip(labels, back)] == [
        True,
        False,
        False,
        False,
        True,
    ]
    assert ["keyframe" in label for _, label in back] == [True, False, False, False, True]


def test_keypoint_tracks_keep_missing_points_through_templates():
    nan = float("nan")
    points = [(0.1, 0.1), (nan, nan), (0.3, 0.3)]
    labels = [(n, Keypoint(label="p", points=points, index=1, keyframe=n != 2)) for n in (1, 2, 3)]
    (built,) = build_tracks(labels, SIZE, frame_count=4).tracks
    assert [s["frame"] for s in built["shapes"]] == [0, 2, 3]  # frame 1 is filled in by CVAT
    templates = {label.id: label for _, label in labels}
    back = [label for _, label in track_labels(built, SIZE, 3, index=1, templates=templates)]
    assert [len(k.points) for k in back] == [3, 3, 3]
    assert back[1].id not in templates  # the copy on frame 1 is a new label
    assert (
        back[0].points[0] == pytest.approx((0.1, 0.1))
        and back[0].points[1][0] != back[0].points[1][0]
    )


@FAST
@given(
    st.sets(st.integers(1, 30), min_size=1, max_size=20),
    st.integers(30, 40),
    st.sampled_from(["box", "polygon", "points"]),
)
def test_indexed_labels_survive_build_and_expand(frames, frame_count, kind):
    def make(n):
        x = n / 100
        if kind == "box":
            return Detection(label="o", bounding_box=[x, 0.2, 0.1, 0.3], index=4)
        if kind == "points":
            return Keypoint(label="o", points=[(x, 0.1), (0.5, x)], index=4)
        return Polyline(
            label="o", points=[[(x, 0), (0.5, x), (0.2, 0.9)]], closed=True, filled=True, index=4
        )

    labels = {n: make(n) for n in sorted(frames)}
    (built,) = build_tracks(labels.items(), SIZE, frame_count=frame_count).tracks
    back = dict(track_labels(built, SIZE, frame_count, index=4))
    assert sorted(back) == [n - 1 for n in labels]  # nothing on gap frames or after the end
    for n, original in labels.items():
        label = back[n - 1]
        assert label.keyframe is True
        label.clear_field("keyframe")
        assert_close(label, original, tol=1e-12)


@FAST
@given(st.integers(2, 25), st.sets(st.integers(1, 25)), st.floats(-0.01, 0.01), st.floats(0, 170))
def test_linear_motion_is_rebuilt_from_any_keyframes(length, marked, speed, turn):
    # Turns stay under 180 degrees: CVAT always rotates along the shorter arc.
    def make(n):
        return box(0.3 + speed * n, keyframe=n in marked, rotation=(turn * n / length) % 360)

    labels = [(n, make(n)) for n in range(1, length + 1)]
    (built,) = build_tracks(labels, SIZE, frame_count=length, only_keyframes=True).tracks
    back = dict(track_labels(built, SIZE, length, index=1))
    assert sorted(back) == list(range(length))
    for n, original in labels:
        got = back[n - 1]
        assert got.bounding_box == pytest.approx(original.bounding_box, abs=1e-9)
        assert got.get_field("rotation", 0.0) == pytest.approx(original.rotation, abs=1e-6)


def test_indexed_masks_become_plain_shapes_with_one_warning(caplog):
    mask = np.ones((2, 2), dtype=bool)
    labels = [(n, box(0.1, mask=mask)) for n in (1, 2, 3)]
    upload = build_tracks(labels, SIZE, frame_count=3)
    assert upload.tracks == [] and [s["type"] for s in upload.shapes] == ["mask"] * 3
    assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == [
        "Sent 3 indexed masked detections as plain shapes: CVAT cannot track masks"
    ]


def test_polygon_fan_out_on_a_closed_outline():
    square = shape(0, [0, 0, 10, 0, 10, 10, 0, 10], "polygon")
    split = shape(2, [0, 0, 5, 0, 10, 0, 10, 10, 0, 10], "polygon")
    middle = list(expand_track(track(square, split), 3))[1]
    # vertex 0 fans out to the new midpoint (reached halfway) and keeps its own position
    assert middle["points"] == [0, 0, 2.5, 0, 10, 0, 10, 10, 0, 10]


@FAST
@given(
    st.lists(
        st.tuples(st.integers(0, 50), st.integers(0, 50)), min_size=3, max_size=8, unique=True
    ),
    st.tuples(st.integers(-20, 20), st.integers(-20, 20)),
    st.sampled_from(["polygon", "polyline"]),
)
def test_translated_outlines_interpolate_as_translations(vertices, move, kind):
    flat = [float(v) for xy in vertices for v in xy]
    moved = [v + move[i % 2] for i, v in enumerate(flat)]
    frames = list(expand_track(track(shape(0, flat, kind), shape(4, moved, kind)), 5))
    for step, frame in enumerate(frames):
        expected = [v + move[i % 2] * step / 4 for i, v in enumerate(flat)]
        assert frame["points"] == pytest.approx(expected, abs=1e-9)
