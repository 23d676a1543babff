"""End to end in headless Chromium: grid, virtual scrolling, filters, sample view, video, follow.

Pixel checks compare screenshot pixels with the label geometry: a box at
relative ``[x, y, w, h]`` over media drawn at ``rect`` must paint its class
colour on the edge pixels and leave the grey image visible just outside and
just inside the edges.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import labelloop as ll
from labelloop import ViewField as F
from labelloop.app.colors import color_for
from tests.app.conftest import READY, make_image_dataset
from tests.app.conftest import open_grid as _open

GREY = (128, 128, 128)


def _screenshot(page) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(page.screenshot())).convert("RGB")).astype(int)


def _close(pixel, color, tol=40) -> bool:
    return all(abs(int(a) - int(b)) <= tol for a, b in zip(pixel, color))


def _assert_box_drawn(shot, rect, box, color):
    """Edges of ``box`` (relative) over media at ``rect`` carry ``color``; around them, grey.

    Lines are 2 px wide inside the box, so the pixel one in from each edge is fully covered
    whatever the sub-pixel position of the media.
    """
    x0 = rect["x"] + box[0] * rect["width"]
    y0 = rect["y"] + box[1] * rect["height"]
    x1 = x0 + box[2] * rect["width"]
    y1 = y0 + box[3] * rect["height"]
    ym = int((y0 + y1) / 2)
    xm = int((x0 + x1) / 2)
    edges = {
        "left": shot[ym, int(x0) + 1],
        "right": shot[ym, int(x1) - 1],
        "bottom": shot[int(y1) - 1, xm],
        "top": shot[int(y0) + 1, xm],
    }
    for name, pixel in edges.items():
        assert _close(pixel, color), f"{name} edge at {pixel}, expected {color}"
    for pixel in (shot[ym, int(x0) - 4], shot[ym, int(x0) + 8], shot[ym, int(x1) + 4]):
        assert _close(pixel, GREY, tol=25), f"{pixel} should be the grey image"


def test_page_colours_match_the_server_colours(page, session):
    _open(page, session)
    names = ["cat", "dog", "road", "person", "x", "élan"]
    got = page.evaluate(
        "async (names) => { const m = await import('/static/draw.js');"
        " return names.map((n) => m.colorFor(n)); }",
        names,
    )
    assert got == [f"rgb({r},{g},{b})" for r, g, b in (color_for(n) for n in names)]


def test_grid_draws_boxes_at_the_label_geometry(page, session, image_dataset):
    session.view = image_dataset.select_fields("ground_truth")
    _open(page, session)
    first = image_dataset.first()
    cell = page.locator(".cell[data-index='0'] img.thumb")
    rect = cell.bounding_box()
    natural = page.evaluate(
        "() => { const i = document.querySelector(\".cell[data-index='0'] img.thumb\");"
        " return [i.naturalWidth, i.naturalHeight]; }"
    )
    scale = min(rect["width"] / natural[0], rect["height"] / natural[1])
    shown = {"width": natural[0] * scale, "height": natural[1] * scale}
    shown["x"] = rect["x"] + (rect["width"] - shown["width"]) / 2
    shown["y"] = rect["y"] + (rect["height"] - shown["height"]) / 2
    main = first.ground_truth.detections[0]
    _assert_box_drawn(_screenshot(page), shown, main.bounding_box, color_for(main.label))
    chips = page.locator(".cell[data-index='0'] .chip-tag").all_inner_texts()
    assert chips == first.tags

    page.uncheck("input[data-name='visible'][data-field='ground_truth']")  # hide the field
    x0 = int(shown["x"] + main.bounding_box[0] * shown["width"]) + 1
    ym = int(shown["y"] + (main.bounding_box[1] + main.bounding_box[3] / 2) * shown["height"])
    assert _close(_screenshot(page)[ym, x0], GREY, tol=25)


def test_virtual_scrolling_keeps_few_cells_and_fetches_pages_lazily(page, tmp_path):
    dataset = make_image_dataset(str(tmp_path), 300)
    try:
        with ll.launch_app(dataset, port=0, auto=False) as session:
            requests = []
            page.on("request", lambda r: "/api/samples?" in r.url and requests.append(r.url))
            _open(page, session)
            assert page.locator("#count").inner_text() == "300 samples"
            assert 0 < page.locator(".cell").count() < 100
            assert len(requests) <= 2
            page.evaluate(
                "() => { const g = document.getElementById('grid'); g.scrollTop = g.scrollHeight; }"
            )
            page.wait_for_selector(".cell[data-index='299']")
            assert page.locator(".cell").count() < 100
            assert len(requests) < 300 / 60  # only the pages in view were fetched, not all 5
            last = page.locator(".cell[data-index='299']").get_attribute("data-sample-id")
            assert last == dataset.values("id")[-1]
    finally:
        dataset.delete()


def test_filter_by_class_in_the_sidebar(page, session, image_dataset):
    _open(page, session)
    field = page.locator(".field[data-field='ground_truth']")
    field.locator("summary").click()
    field.locator("input[data-name='class'][data-value='bird']").check()
    expected = [
        s.id for s in image_dataset if any(d.label == "bird" for d in s.ground_truth.detections)
    ]
    page.wait_for_function(
        "(n) => document.getElementById('count').textContent.startsWith(n + ' of ')",
        arg=len(expected),
    )
    page.wait_for_function(READY)
    shown = page.eval_on_selector_all(
        ".cell", "cells => cells.map(c => [Number(c.dataset.index), c.dataset.sampleId])"
    )
    assert [sid for _, sid in sorted(shown)] == expected
    labels = page.evaluate(
        "() => [...document.querySelectorAll('.cell')]"
        ".flatMap(c => c.sample.fields.ground_truth.map(d => d.label))"
    )
    assert set(labels) == {"bird"}


def test_sample_view_draws_boxes_zooms_and_closes(page, session, image_dataset):
    session.view = image_dataset.select_fields("ground_truth")
    _open(page, session)
    page.click(".cell[data-index='1']")
    page.wait_for_function(
        "() => { const m = document.getElementById('sample-media');"
        " return m && m.complete && m.naturalWidth > 0; }"
    )
    sample = list(image_dataset)[1]
    page.wait_for_function(
        "(p) => document.querySelector('#sample-fields .filepath')?.textContent === p",
        arg=sample.filepath,
    )
    rect = page.locator("#sample-media").bounding_box()
    (det,) = sample.ground_truth.detections
    _assert_box_drawn(_screenshot(page), rect, det.bounding_box, color_for(det.label))
    assert page.locator("#sample-fields .label-row").first.inner_text().startswith(det.label)

    page.click("#zoom-in")
    zoomed = page.locator("#sample-media").bounding_box()
    assert zoomed["width"] == pytest.approx(rect["width"] * 1.25, rel=0.02)
    _assert_box_drawn(_screenshot(page), zoomed, det.bounding_box, color_for(det.label))

    page.keyboard.press("Escape")
    assert page.locator("#sample").is_hidden()


def test_page_follows_session_view_changes(page, session, image_dataset):
    _open(page, session)
    assert page.locator("#count").inner_text() == f"{len(image_dataset)} samples"
    view = image_dataset.match(F("score") < 5)
    session.view = view
    page.wait_for_function(
        "(n) => document.getElementById('count').textContent === n + ' samples'",
        arg=view.count(),
    )
    assert page.locator("#view-note").inner_text() == "view: Match"
    assert page.locator(".cell").count() == view.count()


def test_video_sample_view_shows_frame_labels_and_track_ids(page, video_dataset):
    with ll.launch_app(video_dataset, port=0, auto=False) as session:
        _open(page, session)
        page.click(".cell[data-index='0']")
        page.wait_for_function(
            "() => { const v = document.getElementById('sample-media');"
            " return v && v.tagName === 'VIDEO' && v.readyState >= 2; }"
        )
        page.wait_for_function(
            "() => document.getElementById('sample-status').textContent === 'frame 1 / 10 day'"
        )
        page.evaluate("() => { document.getElementById('sample-media').currentTime = 0.55; }")
        page.wait_for_function(
            "() => document.getElementById('sample-status').textContent === 'frame 6 / 10 dusk'"
        )
        page.wait_for_selector("#sample-fields .label-row >> text=car #7")
        frame6 = video_dataset.first().frames[6]["objects"].detections[0]
        drawn = page.evaluate(
            "() => { const c = document.getElementById('sample-canvas');"
            " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
            " let minX = c.width, maxX = -1;"
            " for (let y = 0; y < c.height; y++) for (let x = 0; x < c.width; x++)"
            "   if (d[(y * c.width + x) * 4 + 3] > 200) { minX = Math.min(minX, x); maxX = Math.max(maxX, x); }"
            " return [minX / c.width, (maxX + 1) / c.width]; }"
        )
        x0, _, w, _ = frame6.bounding_box
        assert drawn[0] == pytest.approx(x0, abs=0.01)
        assert drawn[1] == pytest.approx(x0 + w, abs=0.01)


def test_sample_view_draws_keypoints_polylines_and_semantic_masks(page, session, image_dataset):
    session.view = image_dataset.select_fields(["joints", "lanes", "road", "weather"])
    _open(page, session)
    page.click(".cell[data-index='0']")
    page.wait_for_function(
        "() => { const m = document.getElementById('sample-media');"
        " return m && m.complete && m.naturalWidth > 0; }"
    )
    sample = image_dataset.first()
    # the semantic mask arrives as a separate PNG: wait until the canvas shows it
    page.wait_for_function(
        "() => { const c = document.getElementById('sample-canvas');"
        " return c.getContext('2d').getImageData(5, 5, 1, 1).data[3] > 0; }"
    )
    rect = page.locator("#sample-media").bounding_box()
    shot = _screenshot(page)

    def at(x, y):
        return shot[int(rect["y"] + y * rect["height"]), int(rect["x"] + x * rect["width"])]

    point = sample.joints.keypoints[0].points[0]
    assert _close(at(*point), color_for("body"))
    (start, end) = sample.lanes.polylines[0].points[0]
    middle = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
    assert _close(at(*middle), color_for("lane"))
    mask = sample.road.mask  # value 1 on the diagonal quadrants, 0 elsewhere
    alpha = 150 / 255
    painted = [round(g * (1 - alpha) + c * alpha) for g, c in zip(GREY, color_for("1"))]
    assert mask[1, 1] == 1 and _close(at(0.1, 0.1), painted, tol=25)
    assert mask[1, -2] == 0 and _close(at(0.9, 0.1), GREY, tol=25)
    chips = page.locator("#sample-fields .chip-classification").all_inner_texts()
    assert chips == [f"{sample.weather.label} {sample.weather.confidence:.2f}"]


def test_patches_view_shows_one_cell_per_object_with_its_box(page, session, image_dataset):
    patches = image_dataset.to_patches("ground_truth")
    session.view = patches
    _open(page, session)
    page.wait_for_function(
        "(n) => document.getElementById('count').textContent === n + ' samples'",
        arg=patches.count(),
    )
    assert patches.count() == image_dataset.count("ground_truth.detections")
    assert page.locator(".cell").count() == patches.count()
    first = patches.first()
    cell = page.locator(".cell[data-index='0'] img.thumb")
    rect = cell.bounding_box()
    natural = page.evaluate(
        "() => { const i = document.querySelector(\".cell[data-index='0'] img.thumb\");"
        " return [i.naturalWidth, i.naturalHeight]; }"
    )
    scale = min(rect["width"] / natural[0], rect["height"] / natural[1])
    shown = {"width": natural[0] * scale, "height": natural[1] * scale}
    shown["x"] = rect["x"] + (rect["width"] - shown["width"]) / 2
    shown["y"] = rect["y"] + (rect["height"] - shown["height"]) / 2
    box = first.ground_truth
    _assert_box_drawn(_screenshot(page), shown, box.bounding_box, color_for(box.label))


def test_clips_view_shows_each_clip_and_its_own_frames(page, video_dataset):
    clips = video_dataset.to_clips([[2, 4], [6, 9]])
    with ll.launch_app(clips, port=0, auto=False) as session:
        _open(page, session)
        assert page.locator("#count").inner_text() == "2 samples"
        assert page.locator(".cell").count() == 2
        page.click(".cell[data-index='1']")
        page.wait_for_function(
            "() => { const v = document.getElementById('sample-media');"
            " return v && v.tagName === 'VIDEO' && v.readyState >= 2; }"
        )
        page.evaluate("() => { document.getElementById('sample-media').currentTime = 0.65; }")
        page.wait_for_function(
            "() => document.getElementById('sample-status').textContent.startsWith('frame 7')"
        )
        page.wait_for_selector("#sample-fields .label-row >> text=car #7")


def test_boxes_coloured_by_field_and_filter_values_show_counts(
    page, session, image_dataset, tmp_path
):
    session.view = image_dataset.select_fields("ground_truth")
    _open(page, session)
    field = page.locator(".field[data-field='ground_truth']")
    field.locator("summary").click()
    birds = sum(d.label == "bird" for s in image_dataset for d in s.ground_truth.detections)
    row = field.locator("label.row", has=page.locator("input[data-value='bird']"))
    assert row.inner_text().strip() == f"bird ({birds})"

    page.click(".cell[data-index='1']")
    page.wait_for_function(
        "() => { const m = document.getElementById('sample-media');"
        " return m && m.complete && m.naturalWidth > 0; }"
    )
    sample = list(image_dataset)[1]
    page.wait_for_function(
        "(p) => document.querySelector('#sample-fields .filepath')?.textContent === p",
        arg=sample.filepath,
    )
    rect = page.locator("#sample-media").bounding_box()
    (det,) = sample.ground_truth.detections
    _assert_box_drawn(_screenshot(page), rect, det.bounding_box, color_for(det.label))
    page.select_option("#color-by", "field")  # ground truth vs predictions, not classes
    _assert_box_drawn(_screenshot(page), rect, det.bounding_box, color_for("ground_truth"))
    assert color_for("ground_truth") != color_for(det.label)
    swatch = page.locator("#sample-fields .label-row .swatch").first
    assert swatch.evaluate("e => e.style.background") == "rgb({}, {}, {})".format(
        *color_for("ground_truth")
    )
    page.screenshot(path=str(tmp_path / "colour-by-field.png"))
