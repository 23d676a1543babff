"""Labels and samples as the JSON the page draws.

Coordinates stay relative (``[0, 1]``) as the labels hold them, so the page
scales them to whatever size it shows the media at. Instance masks travel
inline as small PNGs; semantic masks are fetched separately (they can be as
large as the image) and painted by the server in class colours.
"""

from __future__ import annotations

import base64
import io
import math
from typing import Any

import numpy as np
from PIL import Image

from labelloop.app.colors import color_for
from labelloop.core.labels import Classification, Detection, Keypoint, Label, Polyline, Segmentation

#: Longest side of an instance mask sent for a grid thumbnail.
GRID_MASK_SIZE = 64
_DRAWN = ("id", "tags", "label", "confidence", "index", "bounding_box", "mask", "points")


def label_to_json(label: Label, detail: bool = True) -> list[dict[str, Any]]:
    """The drawables of one label field value (a list label gives one per item)."""
    if label is None:
        return []
    if label.list_field:
        out: list[dict[str, Any]] = []
        for item in label.items():
            out.extend(label_to_json(item, detail))
        return out
    base: dict[str, Any] = {
        "id": label.id,
        "label": jsonable(label.get_field("label")),
        "confidence": _number(label.get_field("confidence")),
        "index": jsonable(label.get_field("index")),
        "tags": list(label.tags),
    }
    if detail:
        base["attributes"] = {
            name: jsonable(value)
            for name, value in label.iter_attributes()
            if name not in _DRAWN and not isinstance(value, np.ndarray)
        }
    if isinstance(label, Detection):
        base["type"] = "detection"
        base["box"] = [_number(v) for v in (label.bounding_box or [])]
        if label.mask is not None:
            base["mask"] = mask_png_data_url(label.mask, None if detail else GRID_MASK_SIZE)
        return [base]
    if isinstance(label, Polyline):
        base["type"] = "polyline"
        base["points"] = [[_point(p) for p in shape] for shape in (label.points or [])]
        base["closed"] = bool(label.closed)
        base["filled"] = bool(label.filled)
        return [base]
    if isinstance(label, Keypoint):
        base["type"] = "keypoint"
        base["points"] = [_point(p) for p in (label.points or [])]
        return [base]
    if isinstance(label, Classification):
        base["type"] = "classification"
        return [base]
    if isinstance(label, Segmentation):
        return [{"type": "segmentation", "id": label.id, "tags": list(label.tags)}]
    return []


def is_label(value: Any) -> bool:
    """Whether ``value`` is a label (every label class can be drawn)."""
    return isinstance(value, Label)


def mask_png_data_url(mask: Any, max_size: int | None) -> str:
    """A boolean mask as a ``data:`` URL of a greyscale PNG (255 inside)."""
    arr = np.asarray(mask)
    img = Image.fromarray(((arr > 0) * 255).astype(np.uint8), mode="L")
    if max_size and max(img.size) > max_size:
        img.thumbnail((max_size, max_size), Image.Resampling.NEAREST)
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=False)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def semantic_mask_png(mask: np.ndarray, targets: dict[Any, str]) -> bytes:
    """A semantic mask painted as a half-transparent RGBA PNG (value 0 stays clear).

    Each value is coloured like the class ``targets`` maps it to (like the
    value itself when unmapped), so masks match boxes of the same class.
    """
    arr = np.asarray(mask)
    if arr.ndim == 3:  # RGB masks: each distinct colour is its own class value
        arr = (
            (arr[..., 0].astype(np.int64) << 16) | (arr[..., 1].astype(np.int64) << 8) | arr[..., 2]
        )
    rgba = np.zeros(arr.shape + (4,), dtype=np.uint8)
    for value in np.unique(arr):
        if value == 0:
            continue
        name = targets.get(int(value), targets.get(str(int(value)), int(value)))
        rgba[arr == value] = (*color_for(str(name)), 150)
    buf = io.BytesIO()
    Image.fromarray(rgba, mode="RGBA").save(buf, "PNG")
    return buf.getvalue()


def _point(p: Any) -> list[float] | None:
    x, y = (_number(v) for v in p[:2])
    return None if x is None or y is None else [x, y]


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) or math.isinf(out) else out


def jsonable(value: Any) -> Any:
    """A JSON-safe copy of an attribute value (numpy scalars, NaN, dates, nested)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return _number(value)
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return f"<array {tuple(value.shape)}>"
    if isinstance(value, Label):
        return label_to_json(value, detail=False)
    return str(value)
