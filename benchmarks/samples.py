"""Synthetic samples the core and view benchmarks share: images with random detections."""

from __future__ import annotations

import random
from collections.abc import Iterator

import labelloop as ll

CLASSES = ["cat", "dog", "person", "car", "bike"]


def detection_samples(n: int, field: str, tags: bool = False, seed: int = 0) -> Iterator[ll.Sample]:
    """``n`` image samples with 10 random detections in ``field`` (the same ones for the same
    ``seed``); ``tags=True`` tags every third sample ``val``, the others ``train``."""
    rng = random.Random(seed)
    for i in range(n):
        dets = [
            ll.Detection(
                label=rng.choice(CLASSES),
                bounding_box=[rng.random() * 0.5, rng.random() * 0.5, 0.2, 0.2],
                confidence=rng.random(),
            )
            for _ in range(10)
        ]
        extra = {"tags": ["train" if i % 3 else "val"]} if tags else {}
        yield ll.Sample(f"/data/img{i:07d}.jpg", **extra, **{field: ll.Detections(detections=dets)})
