"""JSON round trip of a normalised label schema.

JSON object keys are strings, so integer ``mask_targets`` pixel values are
stringified when a run is stored and turned back into ints when it is loaded.
"""

from __future__ import annotations

import copy
from typing import Any


def serialize_schema(schema: dict[str, Any] | None) -> dict[str, Any] | None:
    """A JSON-ready copy of ``schema``."""
    if schema is None:
        return None
    out = copy.deepcopy(schema)
    for spec in out.values():
        if isinstance(spec, dict) and isinstance(spec.get("mask_targets"), dict):
            spec["mask_targets"] = {str(k): v for k, v in spec["mask_targets"].items()}
    return out


def deserialize_schema(schema: dict[str, Any] | None) -> dict[str, Any] | None:
    """Inverse of :func:`serialize_schema`."""
    if schema is None:
        return None
    out = copy.deepcopy(schema)
    for spec in out.values():
        if isinstance(spec, dict) and isinstance(spec.get("mask_targets"), dict):
            spec["mask_targets"] = {
                (int(k) if isinstance(k, str) and k.lstrip("-").isdigit() else k): v
                for k, v in spec["mask_targets"].items()
            }
    return out
