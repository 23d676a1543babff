"""JSON paths, JSON value decoding and label-attribute aggregates of the SQLite engine.

The aggregates (a mixin of :class:`~labelloop.store.sqlite.SQLiteStore`) answer
``distinct`` / ``count_values`` / ``bounds`` on a label attribute with one
``GROUP BY`` query instead of returning every label's value to Python.
"""

from __future__ import annotations

from typing import Any

from labelloop.store import codec

_NUMBER_KINDS = ("integer", "real")


def json_key(key: str) -> str:
    """A JSON path for a (possibly dotted) key, each part quoted."""
    return ".".join('"' + part.replace('"', '\\"') + '"' for part in key.split("."))


def decode_json_value(value: Any, kind: str | None) -> Any:
    """A Python value from SQLite's ``json_extract`` result and ``json_type``."""
    if kind in ("array", "object"):
        return codec.loads(value)
    if kind == "true":
        return True
    if kind == "false":
        return False
    return value


class LabelAggregates:
    """``label_value_counts`` / ``label_bounds`` for :class:`SQLiteStore`."""

    def label_value_counts(
        self, dataset_id: str, field: str, frames: bool, items: bool, attr: str, where: Any = None
    ) -> list[tuple[Any, int]]:
        sql, params = self._label_filter(field, frames, items, where)  # type: ignore[attr-defined]
        path = "$." + json_key(attr)
        rows = self._all(  # type: ignore[attr-defined]
            "SELECT data -> ?, COUNT(*) FROM labels WHERE dataset_id=?" + sql + " GROUP BY 1",
            (path, dataset_id, *params),
        )
        values = codec.loads_many(["null" if r[0] is None else r[0] for r in rows])
        return [(value, r[1]) for r, value in zip(rows, values)]

    def label_bounds(
        self, dataset_id: str, field: str, frames: bool, items: bool, attr: str, where: Any = None
    ) -> list[tuple[Any, Any]] | None:
        sql, params = self._label_filter(field, frames, items, where)  # type: ignore[attr-defined]
        path = "$." + json_key(attr)
        rows = self._all(  # type: ignore[attr-defined]
            "SELECT json_type(data, ?) AS kind, MIN(json_extract(data, ?)),"
            " MAX(json_extract(data, ?)) FROM labels WHERE dataset_id=?" + sql + " GROUP BY 1",
            (path, path, path, dataset_id, *params),
        )
        kinds = {r[0]: (r[1], r[2]) for r in rows}
        if "array" in kinds or "object" in kinds:
            return None
        out = []
        numbers = [kinds[k] for k in _NUMBER_KINDS if k in kinds]
        if numbers:
            out.append((min(n[0] for n in numbers), max(n[1] for n in numbers)))
        if "text" in kinds:
            out.append(kinds["text"])
        return out
