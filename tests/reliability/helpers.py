"""Real datasets, digests and server probes shared by the fault catalogue."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import av
import numpy as np

from labelloop.core.dataset import Dataset
from labelloop.core.labels import Classification, Detection, Detections
from labelloop.core.sample import Sample
from tests.cvat.helpers import server_json as server_get
from tests.cvat.media import write_images

CLASSES = ["cat", "dog"]


def boxes(i: int, per_sample: int = 2) -> Detections:
    """``per_sample`` boxes whose geometry depends on the sample index."""
    return Detections(
        detections=[
            Detection(
                label=CLASSES[(i + k) % 2],
                bounding_box=[0.05 * k, 0.05 * (i % 5), 0.2, 0.3],
            )
            for k in range(per_sample)
        ]
    )


def image_dataset(
    tmp_path, count: int = 2, per_sample: int = 2, name: str | None = None
) -> Dataset:
    """A persistent-free dataset of ``count`` JPEGs with ``gt`` boxes and a ``kind`` tag."""
    paths = write_images(str(tmp_path / "media"), count, (48, 32))
    dataset = Dataset(name) if name else Dataset()
    dataset.add_samples(
        Sample(
            filepath=path,
            gt=boxes(i, per_sample),
            kind=Classification(label=CLASSES[i % 2]),
        )
        for i, path in enumerate(paths)
    )
    return dataset


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return {"array": value.tolist(), "dtype": str(value.dtype)}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value != value:
        return "NaN"
    return value


def label_digest(dataset: Dataset) -> str:
    """SHA-256 over every sample's fields (labels with their ids and attributes)."""
    digest = hashlib.sha256()
    docs = sorted((s.to_dict() for s in dataset.iter_samples()), key=lambda d: str(d.get("id")))
    for doc in docs:
        digest.update(json.dumps(_plain(doc), sort_keys=True, default=str).encode())
    return digest.hexdigest()


def task_ids(server) -> list[int]:
    """Ids of every task on the server."""
    return [t["id"] for t in server_get(server, "/api/tasks", page_size="all")["results"]]


def creds(server) -> dict[str, str]:
    """``annotate()``/``load_annotations()`` keyword arguments for the administrator."""
    return {"url": server.url, "username": server.username, "password": server.password}


def write_video(path: str, frames: int = 6) -> str:
    """A small MP4 (32x32, ``frames`` frames of distinct grey levels)."""
    with av.open(path, "w") as container:
        stream = container.add_stream("mpeg4", rate=5)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for i in range(frames):
            image = np.full((32, 32, 3), i * 30 % 255, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def video_dataset(directory, count: int = 1) -> Dataset:
    """``count`` videos with one box on frame 1 in ``frames.boxes``."""
    dataset = Dataset()
    for i in range(count):
        sample = Sample(filepath=write_video(str(directory / f"clip{i}.mp4")))
        sample.frames[1]["boxes"] = Detections(
            detections=[Detection(label="cat", bounding_box=[0.1, 0.1, 0.2, 0.2])]
        )
        dataset.add_sample(sample)
    return dataset
