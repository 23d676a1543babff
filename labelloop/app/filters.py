"""The sidebar's filters, turned into view stages on the server.

The page sends one JSON object; every name in it is checked against the
collection's schema before any stage is built, so a bad request gets a clear
400 instead of a half-applied view::

    {"labels": {"ground_truth": {"classes": ["cat"], "confidence": [0.5, 1],
                                 "attributes": {"eval": ["fp"]}}},
     "tags": ["validation"],                 # samples with any of these tags
     "numeric": {"uniqueness": [0.2, null]}} # inclusive bounds, null = open
"""

from __future__ import annotations

import json
from typing import Any

from labelloop.app.schema import label_fields
from labelloop.core.expressions import ViewField as F


class FilterError(ValueError):
    """The filter request does not fit the collection; the message says what to fix."""


def parse(text: str | None) -> dict[str, Any]:
    """Decode the ``filters`` query parameter (empty means no filters)."""
    if not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise FilterError(f"filters must be JSON: {exc}") from None
    return parse_object(data)


def parse_object(data: Any) -> dict[str, Any]:
    """Check the top level of an already decoded filters object."""
    if not isinstance(data, dict):
        raise FilterError("filters must be a JSON object")
    unknown = set(data) - {"labels", "tags", "numeric"}
    if unknown:
        raise FilterError(f"unknown filter keys {sorted(unknown)}; use labels, tags, numeric")
    return data


def canonical(filters: dict[str, Any]) -> str:
    """A stable string for caching by filter content."""
    return json.dumps(filters, sort_keys=True, separators=(",", ":"))


def apply(collection: Any, filters: dict[str, Any]) -> Any:
    """``collection`` with the filters appended as stages (unchanged when none apply)."""
    known = {f["name"]: f for f in label_fields(collection)}
    schema = collection.get_field_schema()
    stages: list[tuple[str, Any]] = []
    for name, spec in _mapping(filters.get("labels"), "labels").items():
        if name not in known:
            raise FilterError(f"unknown label field {name!r}; known: {sorted(known)}")
        expr = _label_expr(name, _mapping(spec, f"labels.{name}"))
        if expr is not None:
            stages.append(("filter_labels", (name, expr)))
    tags = filters.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise FilterError("tags must be a list of strings")
    for name, bounds in _mapping(filters.get("numeric"), "numeric").items():
        if schema.get(name, {}).get("kind") not in ("int", "float"):
            raise FilterError(f"{name!r} is not a numeric sample field")
        expr = _range_expr(F(name), bounds, f"numeric.{name}")
        if expr is not None:
            stages.append(("match", expr))
    view = collection
    if tags:
        view = view.match_tags(tags)
    for kind, args in stages:
        view = (
            view.filter_labels(*args, only_matches=True)
            if kind == "filter_labels"
            else (view.match(args))
        )
    return view


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise FilterError(f"{where} must be an object")
    return value


def _label_expr(field: str, spec: dict[str, Any]) -> Any:
    parts = []
    classes = spec.get("classes") or []
    if not isinstance(classes, list):
        raise FilterError(f"labels.{field}.classes must be a list")
    if classes:
        parts.append(F("label").is_in([str(c) for c in classes]))
    conf = _range_expr(F("confidence"), spec.get("confidence"), f"labels.{field}.confidence")
    if conf is not None:
        parts.append(conf)
    for attr, values in _mapping(spec.get("attributes"), f"labels.{field}.attributes").items():
        if not isinstance(values, list):
            raise FilterError(f"labels.{field}.attributes.{attr} must be a list")
        if not attr.isidentifier():
            raise FilterError(f"labels.{field}.attributes: {attr!r} is not an attribute name")
        if values:
            parts.append(F(attr).is_in(values))
    if not parts:
        return None
    expr = parts[0]
    for part in parts[1:]:
        expr = expr & part
    return expr


def _range_expr(expr: Any, bounds: Any, where: str) -> Any:
    if bounds is None:
        return None
    if not isinstance(bounds, list) or len(bounds) != 2:
        raise FilterError(f"{where} must be [min, max] (null for an open end)")
    low, high = bounds
    for value in bounds:
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise FilterError(f"{where} bounds must be numbers or null")
    parts = []
    if low is not None:
        parts.append(expr >= low)
    if high is not None:
        parts.append(expr <= high)
    if not parts:
        return None
    return parts[0] & parts[1] if len(parts) == 2 else parts[0]
