"""Datasets built for the annotation tests, and a digest of everything in them."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np

import labelloop as ll


def make_image_dataset(paths: list[str]) -> Any:
    """Detections (``iscrowd``, ``occluded``, an extra attribute), a classification and an int."""
    dataset = ll.Dataset()
    samples = []
    for i, path in enumerate(paths):
        dets = [
            ll.Detection(
                label="cat" if j % 2 else "dog",
                bounding_box=[0.1 * j, 0.1, 0.2, 0.3],
                iscrowd=j % 2,
                occluded=False,
                notes=f"kept-{i}-{j}",
            )
            for j in range(i % 3 + 1)
        ]
        samples.append(
            ll.Sample(
                filepath=path,
                ground_truth=ll.Detections(detections=dets),
                weather=ll.Classification(label="sunny" if i % 2 else "rainy"),
                count=i,
            )
        )
    dataset.add_samples(samples)
    return dataset


def digest(dataset: Any) -> str:
    """A hash of every sample and frame field, label and the field schema."""

    def encode(value: Any) -> Any:
        if isinstance(value, np.ndarray):
            return {"array": value.tolist(), "dtype": str(value.dtype)}
        return str(value)

    parts = [dataset.get_field_schema(), dataset.get_frame_field_schema()]
    for sample in dataset.iter_samples():
        parts.append(sample.to_dict())
        if sample.media_type == "video":
            parts.extend(frame.to_dict() for frame in sample.frames.iter_frames())
    text = json.dumps(parts, default=encode, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()
