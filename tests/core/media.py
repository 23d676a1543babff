"""Real media files for core tests: JPEGs via Pillow, MP4s via PyAV."""

from __future__ import annotations

import os

import numpy as np


def write_jpeg(path: str, width: int = 64, height: int = 48, seed: int = 0) -> str:
    """Write a small noisy RGB JPEG and return its path."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 255, size=(height, width, 3), dtype=np.uint8)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    Image.fromarray(pixels).save(path, format="JPEG")
    return path


def write_mp4(path: str, frames: int = 12, width: int = 64, height: int = 48, fps: int = 10) -> str:
    """Write a short H.264/MPEG-4 video with ``frames`` frames and return its path."""
    import av

    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with av.open(path, mode="w") as container:
        codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for index in range(frames):
            pixels = np.full((height, width, 3), (index * 20) % 255, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
