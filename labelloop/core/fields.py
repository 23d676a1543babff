"""Field kinds: what a sample or frame field may hold, declared on first use.

A field's kind is declared the first time a non-``None`` value is stored and
enforced afterwards, so a typo'd type never silently mixes into a column.
Kinds: ``int``, ``float``, ``str``, ``bool``, ``list``, ``dict``, ``datetime``,
``date``, ``array`` (numpy), ``metadata`` and ``label`` (with its class).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from labelloop.core.labels import LIST_LABELS, Label, label_class
from labelloop.core.metadata import Metadata

#: Fields every sample has.
SAMPLE_BUILTINS: dict[str, dict[str, Any]] = {
    "id": {"kind": "id"},
    "filepath": {"kind": "str"},
    "tags": {"kind": "list"},
    "metadata": {"kind": "metadata"},
}
#: Fields every frame has.
FRAME_BUILTINS: dict[str, dict[str, Any]] = {
    "id": {"kind": "id"},
    "frame_number": {"kind": "int"},
}


def spec_of(value: Any) -> dict[str, Any] | None:
    """The field spec a value declares (``None`` for ``None``)."""
    if value is None:
        return None
    if isinstance(value, Label):
        return {"kind": "label", "cls": type(value).__name__}
    if isinstance(value, Metadata):
        return {"kind": "metadata"}
    if isinstance(value, (bool, np.bool_)):
        return {"kind": "bool"}
    if isinstance(value, (int, np.integer)):
        return {"kind": "int"}
    if isinstance(value, (float, np.floating)):
        return {"kind": "float"}
    if isinstance(value, str):
        return {"kind": "str"}
    if isinstance(value, (list, tuple)):
        return {"kind": "list"}
    if isinstance(value, dict):
        return {"kind": "dict"}
    if isinstance(value, dt.datetime):
        return {"kind": "datetime"}
    if isinstance(value, dt.date):
        return {"kind": "date"}
    if isinstance(value, np.ndarray):
        return {"kind": "array"}
    raise ValueError(f"Unsupported field value of type {type(value).__name__}: {value!r}")


def describe(spec: dict[str, Any]) -> str:
    """Human name of a spec (``Detections`` or ``int``)."""
    return spec.get("cls") or spec["kind"]


def check_value(field: str, declared: dict[str, Any] | None, value: Any) -> dict[str, Any] | None:
    """Validate ``value`` for ``field``; return the spec to declare when new, else ``None``.

    Raises ``ValueError`` naming the field, its declared type and the given one.
    """
    given = spec_of(value)
    if given is None:
        return None
    if declared is None:
        return given
    if declared["kind"] == "id":
        raise ValueError(f"Field '{field}' is read-only")
    if given == declared or (declared["kind"] == "float" and given["kind"] == "int"):
        return None
    raise ValueError(
        f"Field '{field}' is declared as {describe(declared)} but was given a "
        f"{describe(given)} value ({value!r:.80}); convert the value or use another field name"
    )


def is_label_spec(spec: dict[str, Any] | None) -> bool:
    """Whether a spec declares a label field."""
    return bool(spec) and spec["kind"] == "label"


def is_list_label(spec: dict[str, Any] | None) -> bool:
    """Whether a spec declares a list-label field (``Detections``, ...)."""
    return is_label_spec(spec) and label_class(spec["cls"]) in LIST_LABELS


def list_attr(spec: dict[str, Any]) -> str | None:
    """The attribute holding a list label's items (``detections``), else ``None``."""
    return label_class(spec["cls"]).list_field if is_label_spec(spec) else None


def spec_from_type(ftype: Any) -> dict[str, Any]:
    """The field spec for a type given to ``add_sample_field`` (``ValueError`` if unsupported)."""
    names = {
        int: "int",
        float: "float",
        str: "str",
        bool: "bool",
        list: "list",
        dict: "dict",
        dt.datetime: "datetime",
        dt.date: "date",
    }
    if isinstance(ftype, type) and issubclass(ftype, Label):
        return {"kind": "label", "cls": ftype.__name__}
    if ftype in names:
        return {"kind": names[ftype]}
    if isinstance(ftype, str) and ftype in set(names.values()) | {"array"}:
        return {"kind": ftype}
    if isinstance(ftype, dict) and "kind" in ftype:
        return dict(ftype)
    raise ValueError(
        f"Unsupported field type {ftype!r}; use int, float, str, bool, list, dict, datetime, "
        "a Label class or one of their names"
    )


_EXAMPLES: dict[str, Any] = {
    "int": 0,
    "float": 0.0,
    "str": "",
    "bool": False,
    "list": [],
    "dict": {},
    "datetime": dt.datetime(2000, 1, 1),
    "date": dt.date(2000, 1, 1),
}


def example(spec: dict[str, Any]) -> Any:
    """A value of the kind ``spec`` declares (to check it against another declaration)."""
    if spec["kind"] == "label":
        return label_class(spec["cls"])()
    if spec["kind"] == "metadata":
        return Metadata()
    if spec["kind"] == "array":
        import numpy as np

        return np.zeros(1)
    return _EXAMPLES[spec["kind"]]
