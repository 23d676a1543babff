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


def write_oriented_jpeg(path: str, orientation: int, width: int = 160, height: int = 120) -> str:
    """A grey JPEG stored ``width`` x ``height`` with a red block in its stored top-left
    corner and EXIF ``orientation`` (6: a viewer turns it 90 degrees clockwise)."""
    from PIL import Image

    pixels = np.full((height, width, 3), 128, dtype=np.uint8)
    pixels[: height // 3, : width // 3] = (220, 20, 20)
    exif = Image.Exif()
    exif[0x0112] = orientation
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    Image.fromarray(pixels).save(path, "JPEG", quality=95, exif=exif.tobytes())
    return path
