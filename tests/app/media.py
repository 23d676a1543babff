"""Real media for App tests: flat-colour JPEGs, so labels drawn over them stand out."""

from __future__ import annotations

import os

import numpy as np


def write_jpeg(path: str, width: int = 160, height: int = 120, gray: int = 128) -> str:
    """Write a uniform grey JPEG (labels drawn over it stand out in screenshots)."""
    from PIL import Image

    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    Image.fromarray(np.full((height, width, 3), gray, dtype=np.uint8)).save(path, "JPEG")
    return path
