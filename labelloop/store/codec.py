"""JSON encoding of stored documents: numpy arrays, dates and non-finite floats survive.

Documents are kept as JSON text so engines can index into them (SQLite's JSON
functions, PostgreSQL's jsonb). Plain JSON has no arrays-of-pixels or NaN, so
those are wrapped in small tagged objects that :func:`loads` unwraps.
"""

from __future__ import annotations

import base64
import datetime as _dt
import io
import json
import math
from typing import Any

import numpy as np


def _default(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        buf = io.BytesIO()
        np.save(buf, value, allow_pickle=False)
        return {"$ndarray": base64.b64encode(buf.getvalue()).decode("ascii")}
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return _float(float(value))
    if isinstance(value, _dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, _dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"Cannot store a value of type {type(value).__name__}: {value!r}")


def _float(value: float) -> Any:
    return value if math.isfinite(value) else {"$float": repr(value)}


def _finite(value: Any) -> Any:
    """Replace NaN/inf floats (anywhere in ``value``) by tagged objects."""
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


_ENCODER = json.JSONEncoder(default=_default, separators=(",", ":"), allow_nan=False)


def dumps(value: Any) -> str:
    """Serialize ``value`` to compact JSON text."""
    try:
        return _ENCODER.encode(value)
    except ValueError:  # a NaN or infinity somewhere: tag it so the text stays valid JSON
        return _ENCODER.encode(_finite(value))


def _hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if "$ndarray" in obj:
            return np.load(io.BytesIO(base64.b64decode(obj["$ndarray"])), allow_pickle=False)
        if "$float" in obj:
            return float(obj["$float"])
        if "$datetime" in obj:
            return _dt.datetime.fromisoformat(obj["$datetime"])
        if "$date" in obj:
            return _dt.date.fromisoformat(obj["$date"])
    return obj


_DECODER = json.JSONDecoder(object_hook=_hook)
_PLAIN_DECODER = json.JSONDecoder()


def loads(text: str) -> Any:
    """Parse JSON text written by :func:`dumps`."""
    return (_DECODER if '"$' in text else _PLAIN_DECODER).decode(text)


def loads_many(texts: list[str]) -> list[Any]:
    """Parse many JSON texts at once (one parser call: much faster than one per text)."""
    if not texts:
        return []
    joined = "[" + ",".join(texts) + "]"
    return (_DECODER if '"$' in joined else _PLAIN_DECODER).decode(joined)
