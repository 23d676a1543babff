"""Images with an EXIF orientation are shown upright, as CVAT decodes them: thumbnails,
the full-size image in the browser and the labels drawn over it agree.

The photo is stored 160 x 120 with a red block in its stored top-left corner and
orientation 6 (turn 90 degrees clockwise to view): upright it is 120 x 160 with the
block in its top-right corner, where the label is.
"""

from __future__ import annotations

import io

import httpx
import numpy as np
import pytest
from PIL import Image, ImageOps

import labelloop as ll
from labelloop.app.colors import color_for
from tests.app.conftest import READY
from tests.app.media import write_oriented_jpeg

RED = np.array([220, 20, 20])


def _red(pixels: np.ndarray) -> np.ndarray:
    return (np.abs(pixels[..., :3].astype(int) - RED) < 60).all(axis=-1)


def _red_box(pixels: np.ndarray) -> list[float]:
    """The red block's bounding box, relative to ``pixels``' width and height."""
    ys, xs = np.nonzero(_red(pixels))
    h, w = pixels.shape[:2]
    return [
        xs.min() / w,
        ys.min() / h,
        (xs.max() + 1 - xs.min()) / w,
        (ys.max() + 1 - ys.min()) / h,
    ]


@pytest.fixture(scope="module")
def oriented(tmp_path_factory):
    path = write_oriented_jpeg(str(tmp_path_factory.mktemp("exif") / "phone.jpg"), orientation=6)
    with Image.open(path) as stored:
        assert stored.size == (160, 120) and stored.getexif()[0x0112] == 6
        upright = np.asarray(ImageOps.exif_transpose(stored))
    assert upright.shape[:2] == (160, 120)  # portrait once turned
    box = _red_box(upright)
    assert box[0] > 0.5 and box[1] < 0.1  # the block sits top-right when upright
    sample = ll.Sample(
        path, ground_truth=ll.Detections(detections=[ll.Detection(label="cat", bounding_box=box)])
    )
    dataset = ll.Dataset()
    dataset.add_sample(sample)
    yield dataset, path, box
    dataset.delete()


@pytest.fixture
def oriented_session(oriented):
    with ll.launch_app(oriented[0], port=0, auto=False) as session:
        yield session


def test_thumbnail_is_upright(oriented, oriented_session):
    _, path, box = oriented
    response = httpx.get(oriented_session.url + "thumb", params={"filepath": path}, timeout=30)
    assert response.status_code == 200
    thumb = np.asarray(Image.open(io.BytesIO(response.content)).convert("RGB"))
    h, w = thumb.shape[:2]
    assert h > w  # portrait, as the orientation says
    got = _red_box(thumb)
    assert got == pytest.approx(box, abs=0.05)  # the block where the label is


def test_full_size_image_and_its_label_are_drawn_upright(page, oriented, oriented_session):
    _, _, box = oriented
    page.goto(oriented_session.url)
    page.wait_for_function(READY)
    page.click(".cell[data-index='0']")
    page.wait_for_function(
        "() => { const m = document.getElementById('sample-media');"
        " return m && m.complete && m.naturalWidth > 0; }"
    )
    size = page.evaluate(
        "() => { const m = document.getElementById('sample-media');"
        " return [m.naturalWidth, m.naturalHeight]; }"
    )
    assert size == [120, 160]  # the browser decodes it upright, like CVAT
    rect = page.locator("#sample-media").bounding_box()
    assert rect["height"] > rect["width"]
    shot = np.asarray(Image.open(io.BytesIO(page.screenshot())).convert("RGB")).astype(int)

    x0 = rect["x"] + box[0] * rect["width"]
    y0 = rect["y"] + box[1] * rect["height"]
    x1 = x0 + box[2] * rect["width"]
    y1 = y0 + box[3] * rect["height"]
    color = np.array(color_for("cat"))
    # the red block is on screen where the label says, and the label's edges are drawn there
    assert _red(shot[int((y0 + y1) / 2), int((x0 + x1) / 2)])
    assert np.abs(shot[int((y0 + y1) / 2), int(x0) + 1] - color).max() <= 40
    assert np.abs(shot[int(y1) - 1, int((x0 + x1) / 2)] - color).max() <= 40
    # and the stored top-left corner, grey once upright, shows no red
    assert not _red(
        shot[int(rect["y"] + 0.1 * rect["height"]), int(rect["x"] + 0.1 * rect["width"])]
    )
