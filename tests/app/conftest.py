"""App test fixtures: datasets of real media, a running session, headless Chromium."""

from __future__ import annotations

import os

import numpy as np
import pytest

import labelloop as ll
from tests.app.media import write_jpeg
from tests.core.media import write_mp4

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CLASSES = ["cat", "dog", "bird"]
#: The page sets body[data-ready] to the version it finished loading.
READY = "document.body.dataset.ready && document.body.dataset.ready !== ''"


def open_grid(page, session) -> None:
    """Load the App and wait until the first thumbnails are decoded."""
    page.goto(session.url)
    page.wait_for_function(READY)
    page.wait_for_function("document.querySelectorAll('.cell img.thumb').length > 0")
    page.wait_for_function(
        "[...document.querySelectorAll('.cell img.thumb')].every(i => i.complete && i.naturalWidth)"
    )


def _labels(index: int) -> dict:
    """Labels of image sample ``index``: every label type, deterministic per index."""
    cls = CLASSES[index % 3]
    gt = ll.Detections(
        detections=[
            ll.Detection(label=cls, bounding_box=[0.25, 0.2, 0.5, 0.6]),
            *(
                [ll.Detection(label="dog", bounding_box=[0.05, 0.05, 0.1, 0.1])]
                if index % 4 == 0
                else []
            ),
        ]
    )
    pred = ll.Detections(
        detections=[
            ll.Detection(
                label=cls,
                bounding_box=[0.26, 0.21, 0.5, 0.58],
                confidence=round((index % 10) / 10 + 0.05, 2),
                mask=np.eye(8, dtype=bool) if index % 5 == 0 else None,
                eval="tp" if index % 2 else "fp",
            )
        ]
    )
    return {
        "ground_truth": gt,
        "predictions": pred,
        "weather": ll.Classification(label="sunny" if index % 2 else "rain", confidence=0.9),
        "lanes": ll.Polylines(
            polylines=[ll.Polyline(label="lane", points=[[(0.1, 0.9), (0.4, 0.5)]])]
        ),
        "joints": ll.Keypoints(
            keypoints=[ll.Keypoint(label="body", points=[(0.6, 0.6), (float("nan"), float("nan"))])]
        ),
        "road": ll.Segmentation(mask=np.kron(np.eye(2, dtype=np.uint8), np.ones((6, 8), np.uint8))),
        "score": float(index),
    }


def make_image_dataset(root: str, count: int, name: str | None = None) -> ll.Dataset:
    """``count`` grey JPEG samples with every label type; tags ``even``/``odd``."""
    samples = []
    for index in range(count):
        path = write_jpeg(os.path.join(root, f"img{index:05d}.jpg"), 160, 120)
        tags = ["even" if index % 2 == 0 else "odd"]
        samples.append(ll.Sample(path, tags=tags, **_labels(index)))
    dataset = ll.Dataset(name)
    dataset.add_samples(samples)
    return dataset


def make_video_dataset(root: str) -> ll.Dataset:
    """One 10-frame video: track 7 moves right one step per frame; frames 1-5 'day', then 'dusk'."""
    path = write_mp4(os.path.join(root, "clip.mp4"), frames=10, fps=10)
    sample = ll.Sample(path)
    for number in range(1, 11):
        box = [0.05 * number, 0.3, 0.3, 0.4]
        sample.frames[number]["objects"] = ll.Detections(
            detections=[ll.Detection(label="car", bounding_box=box, index=7)]
        )
        sample.frames[number]["scene"] = ll.Classification(label="day" if number <= 5 else "dusk")
    dataset = ll.Dataset()
    dataset.add_sample(sample)
    dataset.compute_metadata()
    return dataset


@pytest.fixture(scope="module")
def image_dataset(tmp_path_factory):
    dataset = make_image_dataset(str(tmp_path_factory.mktemp("images")), 24)
    yield dataset
    dataset.delete()


@pytest.fixture(scope="module")
def video_dataset(tmp_path_factory):
    dataset = make_video_dataset(str(tmp_path_factory.mktemp("video")))
    yield dataset
    dataset.delete()


@pytest.fixture
def session(image_dataset):
    session = ll.launch_app(image_dataset, port=0, auto=False)
    yield session
    session.close()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 800}, device_scale_factor=1)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
