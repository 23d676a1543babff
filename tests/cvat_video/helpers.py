"""Video datasets (real H.264 MP4s, real SQLite) and the annotator for the video tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import numpy as np

from labelloop.core.dataset import Dataset
from labelloop.core.labels import Detection, Detections
from labelloop.core.sample import Sample
from labelloop.testing.annotator import Annotator

WIDTH, HEIGHT = 64, 48


def write_video(path: Path, frames: int, width: int = WIDTH, height: int = HEIGHT) -> str:
    """An H.264 MP4 of ``frames`` frames whose frame i is gray level (i * 7) % 256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast"}
        for i in range(frames):
            array = np.full((height, width, 3), (i * 7) % 256, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(array, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return str(path)


def video_dataset(
    tmp_path: Path,
    count: int = 1,
    frames: int = 10,
    labels: Callable[[int, int], Any] | None = None,
    field: str = "detections",
) -> Dataset:
    """``count`` videos of ``frames`` frames; ``labels(video, frame_number)`` fills
    ``frames.<field>`` (``None`` leaves the frame empty)."""
    dataset = Dataset()
    samples = []
    for v in range(count):
        sample = Sample(filepath=write_video(tmp_path / f"video{v}.mp4", frames))
        if labels is not None:
            for number in range(1, frames + 1):
                value = labels(v, number)
                if value is not None:
                    sample.frames[number][field] = value
        samples.append(sample)
    dataset.add_samples(samples)
    return dataset


def box(
    label: str, x: float, y: float, w: float = 0.25, h: float = 0.25, **attrs: Any
) -> Detection:
    return Detection(label=label, bounding_box=[x, y, w, h], **attrs)


def boxes(*items: Detection) -> Detections:
    return Detections(detections=list(items))


def credentials(server: Any) -> dict[str, Any]:
    return {"url": server.url, "username": server.username, "password": server.password}


def annotator(server: Any) -> Annotator:
    return Annotator(server.url, server.username, server.password)


def first_job(person: Annotator, results: Any, task_index: int = 0) -> int:
    task_id = results.task_ids[task_index]
    return int(person.jobs(task_id)[0]["id"])


def frame_labels(dataset: Dataset, field: str = "detections", video: int = 0) -> dict[int, list]:
    """``{frame_number: [Detection, ...]}`` of one video, as stored now."""
    sample = dataset.skip(video).first() if video else dataset.first()
    out = {}
    for number, frame in sample.frames.items():
        value = frame.get_field(field) if frame.has_field(field) else None
        if value is not None and value.detections:
            out[number] = list(value.detections)
    return out


def server_tasks(server: Any) -> list[dict[str, Any]]:
    """Every task on the server, as its administrator sees them."""
    with server.client() as client:
        response = client.get("/api/tasks", params={"page_size": 100})
        response.raise_for_status()
        return response.json()["results"]
