"""Instance-mask geometry: box masks <-> full frames, COCO RLE and polygons.

A :class:`~labelloop.core.labels.Detection` keeps its mask at the pixel size
of its box; COCO files and IoU computations want full-frame masks. These
helpers convert between the two and read/write COCO's run-length encoding
(column-major runs starting with background; "compressed" counts are COCO's
6-bit variable-length text form).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image, ImageDraw


def box_pixels(box: Sequence[float], width: int, height: int) -> tuple[int, int, int, int]:
    """Pixel ``(x, y, w, h)`` of a relative ``[x, y, w, h]`` box (at least 1x1)."""
    x, y, w, h = box
    return (
        int(round(x * width)),
        int(round(y * height)),
        max(1, int(round(w * width))),
        max(1, int(round(h * height))),
    )


def paste_mask(
    box: Sequence[float], mask: np.ndarray | None, width: int, height: int
) -> np.ndarray:
    """Full ``(height, width)`` mask of a detection; a missing mask fills its box.

    A mask whose shape differs from the box's pixel size is resized (nearest).
    """
    x0, y0, bw, bh = box_pixels(box, width, height)
    if mask is None:
        patch = np.ones((bh, bw), dtype=bool)
    else:
        patch = np.asarray(mask).astype(bool)
        if patch.shape != (bh, bw):
            img = Image.fromarray(patch.astype(np.uint8) * 255)
            patch = np.asarray(img.resize((bw, bh), Image.Resampling.NEAREST)) > 127
    frame = np.zeros((height, width), dtype=bool)
    xs, ys, xe, ye = max(x0, 0), max(y0, 0), min(x0 + bw, width), min(y0 + bh, height)
    if xe > xs and ye > ys:
        frame[ys:ye, xs:xe] = patch[ys - y0 : ye - y0, xs - x0 : xe - x0]
    return frame


def crop_mask(frame: np.ndarray, box: Sequence[float]) -> np.ndarray:
    """The part of a full-frame mask under a relative box, at the box's pixel size."""
    height, width = frame.shape
    x0, y0, bw, bh = box_pixels(box, width, height)
    out = np.zeros((bh, bw), dtype=bool)
    xs, ys, xe, ye = max(x0, 0), max(y0, 0), min(x0 + bw, width), min(y0 + bh, height)
    if xe > xs and ye > ys:
        out[ys - y0 : ye - y0, xs - x0 : xe - x0] = frame[ys:ye, xs:xe]
    return out


def polygons_to_mask(polygons: Sequence[Sequence[float]], width: int, height: int) -> np.ndarray:
    """Rasterise COCO polygons (flat ``[x1, y1, x2, y2, ...]`` in pixels) to a frame."""
    img = Image.new("1", (width, height), 0)
    draw = ImageDraw.Draw(img)
    for poly in polygons:
        pts = list(zip(poly[0::2], poly[1::2]))
        if len(pts) >= 3:
            draw.polygon(pts, fill=1)
    return np.asarray(img, dtype=bool)


def rle_decode(rle: dict[str, Any]) -> np.ndarray:
    """Full-frame boolean mask from a COCO RLE dict (compressed or not)."""
    height, width = (int(v) for v in rle["size"])
    counts = rle["counts"]
    if isinstance(counts, bytes):
        counts = counts.decode("ascii")
    runs = _decode_counts(counts) if isinstance(counts, str) else [int(c) for c in counts]
    values = np.zeros(len(runs), dtype=bool)
    values[1::2] = True
    flat = np.repeat(values, runs)
    if flat.size != height * width:
        raise ValueError(
            f"RLE counts cover {flat.size} pixels but size is {height}x{width}; the file is corrupt"
        )
    return flat.reshape(width, height).T


def rle_encode(mask: np.ndarray) -> dict[str, Any]:
    """COCO compressed RLE of a full-frame mask."""
    flat = np.asarray(mask, dtype=bool).T.ravel()
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    runs = np.diff(bounds).tolist()
    if flat.size and flat[0]:
        runs = [0, *runs]
    return {"size": [int(mask.shape[0]), int(mask.shape[1])], "counts": _encode_counts(runs)}


def _decode_counts(text: str) -> list[int]:
    counts: list[int] = []
    pos = 0
    while pos < len(text):
        value, shift, more = 0, 0, True
        while more:
            c = ord(text[pos]) - 48
            value |= (c & 0x1F) << shift
            more = bool(c & 0x20)
            pos += 1
            shift += 5
            if not more and c & 0x10:
                value |= -1 << shift
        if len(counts) > 2:
            value += counts[-2]
        counts.append(value)
    return counts


def _encode_counts(runs: Sequence[int]) -> str:
    out = []
    for i, run in enumerate(runs):
        value = run - runs[i - 2] if i > 2 else run
        more = True
        while more:
            c = value & 0x1F
            value >>= 5
            more = not ((c & 0x10 and value == -1) or (not c & 0x10 and value == 0))
            if more:
                c |= 0x20
            out.append(chr(c + 48))
    return "".join(out)
