"""Drawn stand-ins for real objects: a recognisable silhouette per class.

Each class has a small drawing routine that paints into a box-sized canvas and
returns the colour patch together with its exact silhouette, so the same call
gives both the pixels pasted into an image and the instance mask of the
object. Everything is a pure function of its arguments (deterministic).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw

Color = tuple[int, int, int]
_Painter = Callable[[ImageDraw.ImageDraw, int, int, int], None]

#: Base colour of each drawable class (instances vary around it).
CLASS_COLORS: dict[str, Color] = {
    "person": (220, 60, 60),
    "dog": (150, 100, 50),
    "cat": (240, 160, 40),
    "car": (40, 90, 220),
    "truck": (30, 140, 110),
    "bicycle": (120, 40, 160),
    "bird": (250, 220, 60),
    "horse": (110, 70, 40),
    "bus": (230, 120, 20),
    "boat": (240, 240, 240),
    "chair": (90, 60, 30),
    "bottle": (40, 200, 80),
    "vehicle": (40, 90, 220),
}


def _person(d: ImageDraw.ImageDraw, w: int, h: int, v: int) -> None:
    head = max(2, min(w, h // 4))
    cx = w // 2
    d.ellipse([cx - head // 2, 0, cx + head // 2, head], fill=255)
    d.rectangle([max(0, cx - w // 3), head, min(w - 1, cx + w // 3), int(h * 0.65)], fill=255)
    lw = max(1, w // 6)
    d.line([(cx - w // 6, int(h * 0.64)), (cx - w // 4, h - 1)], fill=255, width=lw)
    d.line([(cx + w // 6, int(h * 0.64)), (cx + w // 4, h - 1)], fill=255, width=lw)


def _quadruped(d: ImageDraw.ImageDraw, w: int, h: int, v: int) -> None:
    body_top, body_bot = int(h * 0.3), int(h * 0.7)
    d.ellipse([int(w * 0.1), body_top, int(w * 0.85), body_bot], fill=255)
    hx = int(w * 0.7) if v % 2 else 0
    d.ellipse([hx, 0, hx + int(w * 0.3), int(h * 0.45)], fill=255)
    lw = max(1, w // 12)
    for fx in (0.2, 0.35, 0.6, 0.75):
        x = int(w * fx)
        d.line([(x, body_bot - 2), (x, h - 1)], fill=255, width=lw)


def _vehicle(d: ImageDraw.ImageDraw, w: int, h: int, v: int) -> None:
    d.rectangle([0, int(h * 0.35), w - 1, int(h * 0.8)], fill=255)
    d.rectangle([int(w * 0.2), int(h * 0.05), int(w * 0.75), int(h * 0.4)], fill=255)
    r = max(2, min(w // 8, h // 5))
    for fx in (0.22, 0.78):
        cx = int(w * fx)
        d.ellipse([cx - r, h - 1 - 2 * r, cx + r, h - 1], fill=255)


def _box_vehicle(d: ImageDraw.ImageDraw, w: int, h: int, v: int) -> None:
    d.rectangle([0, 0, w - 1, int(h * 0.82)], fill=255)
    r = max(2, min(w // 10, h // 6))
    for fx in (0.15, 0.5, 0.85) if v % 2 else (0.18, 0.82):
        cx = int(w * fx)
        d.ellipse([cx - r, h - 1 - 2 * r, cx + r, h - 1], fill=255)


def _bicycle(d: ImageDraw.ImageDraw, w: int, h: int, v: int) -> None:
    r = max(2, min(w // 4, h // 2))
    lw = max(1, w // 20)
    d.ellipse([0, h - 1 - 2 * r, 2 * r, h - 1], outline=255, width=lw)
    d.ellipse([w - 1 - 2 * r, h - 1 - 2 * r, w - 1, h - 1], outline=255, width=lw)
    d.line([(r, h - 1 - r), (w // 2, h // 3), (w - 1 - r, h - 1 - r)], fill=255, width=lw)
    d.line([(w // 2, h // 3), (w // 2, 0)], fill=255, width=lw)


def _bird(d: ImageDraw.ImageDraw, w: int, h: int, v: int) -> None:
    d.ellipse([int(w * 0.15), int(h * 0.35), int(w * 0.85), h - 1], fill=255)
    d.polygon([(0, 0), (w // 2, int(h * 0.5)), (w - 1, 0)], fill=255)


def _boat(d: ImageDraw.ImageDraw, w: int, h: int, v: int) -> None:
    d.polygon(
        [(0, int(h * 0.6)), (w - 1, int(h * 0.6)), (int(w * 0.8), h - 1), (int(w * 0.2), h - 1)],
        fill=255,
    )
    d.polygon([(w // 2, 0), (w // 2, int(h * 0.55)), (int(w * 0.9), int(h * 0.55))], fill=255)


def _chair(d: ImageDraw.ImageDraw, w: int, h: int, v: int) -> None:
    lw = max(2, w // 8)
    d.rectangle([0, 0, lw, h - 1], fill=255)
    d.rectangle([0, int(h * 0.5), w - 1, int(h * 0.5) + lw], fill=255)
    d.rectangle([w - 1 - lw, int(h * 0.5), w - 1, h - 1], fill=255)


def _bottle(d: ImageDraw.ImageDraw, w: int, h: int, v: int) -> None:
    d.rectangle([int(w * 0.35), 0, int(w * 0.65), int(h * 0.3)], fill=255)
    d.rounded_rectangle([0, int(h * 0.25), w - 1, h - 1], radius=max(1, w // 4), fill=255)


_PAINTERS: dict[str, _Painter] = {
    "person": _person,
    "dog": _quadruped,
    "cat": _quadruped,
    "horse": _quadruped,
    "car": _vehicle,
    "vehicle": _vehicle,
    "truck": _box_vehicle,
    "bus": _box_vehicle,
    "bicycle": _bicycle,
    "bird": _bird,
    "boat": _boat,
    "chair": _chair,
    "bottle": _bottle,
}


def silhouette(label: str, width: int, height: int, variant: int = 0) -> np.ndarray:
    """Boolean ``(height, width)`` mask of the drawn object of class ``label``."""
    canvas = Image.new("L", (max(1, width), max(1, height)), 0)
    _PAINTERS[label](ImageDraw.Draw(canvas), canvas.width, canvas.height, variant)
    return np.asarray(canvas) > 0


def paste_object(
    image: Image.Image, label: str, box: tuple[int, int, int, int], color: Color, variant: int = 0
) -> np.ndarray:
    """Paint object ``label`` into ``image`` at pixel ``box = (x, y, w, h)``; return its mask."""
    x, y, w, h = box
    mask = silhouette(label, w, h, variant)
    patch = Image.new("RGB", (mask.shape[1], mask.shape[0]), color)
    shade = tuple(max(0, c - 60) for c in color)
    ImageDraw.Draw(patch).rectangle([0, int(h * 0.75), w, h], fill=shade)
    image.paste(patch, (x, y), Image.fromarray(mask.astype(np.uint8) * 255))
    return mask


def jitter_color(base: Color, rng: np.random.Generator) -> Color:
    """A colour near ``base`` (instances of one class look alike but not identical)."""
    c = np.clip(np.asarray(base) + rng.integers(-30, 31, 3), 0, 255)
    return int(c[0]), int(c[1]), int(c[2])


def background(width: int, height: int, rng: np.random.Generator) -> Image.Image:
    """A smooth random backdrop: two-colour gradient plus low-frequency noise."""
    top, bottom = rng.integers(40, 220, 3), rng.integers(40, 220, 3)
    t = np.linspace(0.0, 1.0, height)[:, None, None]
    grad = top[None, None, :] * (1 - t) + bottom[None, None, :] * t
    noise = rng.normal(0, 18, (max(2, height // 32), max(2, width // 32), 3))
    noise_img = Image.fromarray(np.clip(noise + 128, 0, 255).astype(np.uint8)).resize(
        (width, height), Image.Resampling.BILINEAR
    )
    arr = grad + (np.asarray(noise_img, dtype=float) - 128)
    arr = np.broadcast_to(arr, (height, width, 3))
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
