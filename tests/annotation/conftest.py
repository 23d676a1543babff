"""Register the in-memory backend by configuration and reset it around each test."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from labelloop.annotation.config import annotation_config
from tests.annotation import memory_backend

SECRET_TOKEN = "tok-s3cret-value"


@pytest.fixture(autouse=True)
def memory_backend_registered():
    """``backend="memory"`` works in every test; its server starts empty."""
    saved = {k: dict(v) for k, v in annotation_config.backends.items()}
    annotation_config.backends["memory"] = {
        "config_cls": memory_backend.CONFIG_CLS,
        "token": SECRET_TOKEN,
    }
    memory_backend.SERVER.clear()
    yield memory_backend.SERVER
    memory_backend.SERVER.clear()
    annotation_config.backends.clear()
    annotation_config.backends.update(saved)


@pytest.fixture
def backend():
    """A memory backend instance for schema tests."""
    config = memory_backend.MemoryBackendConfig("memory", None)
    return memory_backend.MemoryBackend(config)


def _media_dir(name: str) -> Path:
    """A folder under this session's private LABELLOOP_HOME (pytest's shared temp root can be
    pruned by other pytest processes running at the same time)."""
    return Path(tempfile.mkdtemp(prefix=name, dir=os.environ["LABELLOOP_HOME"]))


@pytest.fixture(scope="session")
def image_paths():
    """Four small real JPEG files."""
    from PIL import Image

    folder = _media_dir("anno_images")
    paths = []
    for i in range(4):
        path = folder / f"img{i}.jpg"
        Image.new("RGB", (32, 24), (40 * i, 80, 120)).save(path, quality=90)
        paths.append(str(path))
    return paths


@pytest.fixture(scope="session")
def video_path():
    """A real 4-frame MP4 file."""
    import av
    import numpy as np

    path = _media_dir("anno_video") / "clip.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=4)
        stream.width, stream.height = 32, 32
        for i in range(4):
            frame = av.VideoFrame.from_ndarray(np.full((32, 32, 3), 30 * i, np.uint8), "rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return str(path)


@pytest.fixture
def dataset(image_paths):
    """Images with detections, a classification and a scalar; deleted afterwards."""
    from tests.annotation.datasets import make_image_dataset

    ds = make_image_dataset(image_paths)
    yield ds
    ds.delete()
