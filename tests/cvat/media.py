"""Real image files for the CVAT tests, written with Pillow."""

from __future__ import annotations

import os

import numpy as np
from PIL import Image


def write_images(
    directory: str, count: int, size: tuple[int, int] = (64, 48), prefix: str = "img"
) -> list[str]:
    """``count`` JPEGs of ``size`` (width, height) with distinct content; returns their paths."""
    os.makedirs(directory, exist_ok=True)
    rng = np.random.default_rng(count)
    paths = []
    for i in range(count):
        pixels = rng.integers(0, 255, size=(size[1], size[0], 3), dtype=np.uint8)
        path = os.path.join(directory, f"{prefix}{i:04d}.jpg")
        Image.fromarray(pixels).save(path, quality=80)
        paths.append(path)
    return paths
