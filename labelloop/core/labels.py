"""Label classes: small typed records with a stable id and free-form attributes.

Every label has an ``id`` (24 hex chars), ``tags`` and any number of custom
scalar attributes reachable both as ``label["name"]`` and ``label.name``.
Coordinates are relative to the media size: boxes are ``[x, y, w, h]`` with
the top-left corner at ``(x, y)``, points are ``(x, y)`` in ``[0, 1]``.
List labels (``Detections``, ...) hold their items under a single attribute
whose name :attr:`Label.list_field` gives.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np

from labelloop.core.ids import new_id

_REGISTRY: dict[str, type[Label]] = {}


class Label:
    """Base class of every label: declared fields plus dynamic attributes."""

    #: Declared fields and their defaults (``id`` and ``tags`` are common to all).
    _DECLARED: ClassVar[dict[str, Any]] = {}
    #: For list labels, the name of the attribute holding the items.
    list_field: ClassVar[str | None] = None
    #: For list labels, the class of the items.
    item_class: ClassVar[type[Label] | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _REGISTRY[cls.__name__] = cls

    def __init__(self, **kwargs: Any) -> None:
        object.__setattr__(self, "_values", {})
        self._values["id"] = kwargs.pop("id", None) or kwargs.pop("_id", None) or new_id()
        self._values["tags"] = list(kwargs.pop("tags", None) or [])
        for name, default in self._DECLARED.items():
            value = kwargs.pop(name, default)
            self._values[name] = copy.copy(value) if isinstance(value, list) else value
        for name, value in kwargs.items():
            self[name] = value

    # -- attribute access -------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        values = object.__getattribute__(self, "_values")
        try:
            return values[name]
        except KeyError:
            raise AttributeError(f"{type(self).__name__} has no attribute '{name}'") from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            raise AttributeError(f"Label attribute names cannot start with '_': {name!r}")
        self[name] = value

    def __delattr__(self, name: str) -> None:
        self.clear_field(name)

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __setitem__(self, name: str, value: Any) -> None:
        if name == "id":
            if not isinstance(value, str):
                raise ValueError(f"Label ids must be strings, not {type(value).__name__}")
        elif self.list_field and name == self.list_field:
            value = [_check_item(self, item) for item in (value or [])]
        self._values[name] = value

    def __contains__(self, name: str) -> bool:
        return name in self._values

    def has_field(self, name: str) -> bool:
        """Whether the label has a declared or dynamic attribute ``name``."""
        return name in self._values

    def get_field(self, name: str, default: Any = None) -> Any:
        """Value of ``name``, or ``default`` when the label has no such attribute."""
        return self._values.get(name, default)

    def set_field(self, name: str, value: Any) -> None:
        """Set ``name`` (declared or dynamic) to ``value``."""
        self[name] = value

    def clear_field(self, name: str) -> None:
        """Reset a declared field to its default or drop a dynamic attribute."""
        if name in ("id", "tags"):
            raise ValueError(f"Cannot clear the '{name}' of a label")
        if name in self._DECLARED:
            self._values[name] = copy.copy(self._DECLARED[name])
        else:
            self._values.pop(name, None)

    @property
    def field_names(self) -> tuple[str, ...]:
        """Names of all attributes, declared first."""
        return tuple(self._values)

    @property
    def dynamic_attributes(self) -> dict[str, Any]:
        """Custom attributes (everything not declared by the class)."""
        fixed = set(self._DECLARED) | {"id", "tags"}
        return {k: v for k, v in self._values.items() if k not in fixed}

    def iter_attributes(self) -> Iterator[tuple[str, Any]]:
        """Yield ``(name, value)`` for custom attributes whose value is not ``None``."""
        for name, value in self.dynamic_attributes.items():
            if value is not None:
                yield name, value

    # -- serialization ----------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (numpy arrays kept as arrays) with the class under ``_cls``."""
        out: dict[str, Any] = {"_cls": type(self).__name__}
        for name, value in self._values.items():
            if self.list_field and name == self.list_field:
                out[name] = [item.to_dict() for item in value]
            elif isinstance(value, Label):
                out[name] = value.to_dict()
            else:
                out[name] = copy.deepcopy(value)
        return out

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Label:
        """Rebuild a label from :meth:`to_dict` output."""
        data = dict(data)
        cls_name = data.pop("_cls", None)
        cls = _REGISTRY.get(cls_name or "")
        if cls is None:
            raise ValueError(f"Unknown label class {cls_name!r}")
        if cls.list_field and cls.list_field in data:
            data[cls.list_field] = [
                item if isinstance(item, Label) else Label.from_dict(item)
                for item in data[cls.list_field] or []
            ]
        return cls(**data)

    def copy(self, new_ids: bool = False) -> Label:
        """A deep copy; ``new_ids=True`` gives it (and its items) fresh ids."""
        dup = Label.from_dict(self.to_dict())
        if new_ids:
            dup._values["id"] = new_id()
            for item in dup.items():
                item._values["id"] = new_id()
        return dup

    def items(self) -> list[Label]:
        """The items of a list label (empty for other labels)."""
        return self._values.get(self.list_field, []) if self.list_field else []

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return _equal(self.to_dict(), other.to_dict())  # type: ignore[union-attr]

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shown = []
        for name, value in self._values.items():
            if isinstance(value, np.ndarray):
                text = f"<array {value.shape} {value.dtype}>"
            elif self.list_field and name == self.list_field:
                text = f"[{len(value)} items]"
            else:
                text = repr(value)
            shown.append(f"{name}={text}")
        return f"<{type(self).__name__}: {', '.join(shown)}>"


def _check_item(owner: Label, item: Any) -> Label:
    expected = owner.item_class
    if expected is not None and not isinstance(item, expected):
        raise ValueError(
            f"{type(owner).__name__}.{owner.list_field} holds {expected.__name__} "
            f"objects, not {type(item).__name__}"
        )
    return item


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.shape == b.shape
            and bool(np.array_equal(a, b))
        )
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True  # NaN == NaN for labels (missing keypoints)
    return a == b


class Classification(Label):
    """A single class label for a sample or frame."""

    _DECLARED = {"label": None, "confidence": None, "logits": None}


class Classifications(Label):
    """Several class labels (multilabel)."""

    _DECLARED = {"classifications": [], "logits": None}
    list_field = "classifications"
    item_class = Classification


class Detection(Label):
    """An object: box ``[x, y, w, h]`` relative, optional instance ``mask`` inside the box."""

    _DECLARED = {
        "label": None,
        "bounding_box": None,
        "mask": None,
        "confidence": None,
        "index": None,
    }


class Detections(Label):
    """A list of :class:`Detection`."""

    _DECLARED = {"detections": []}
    list_field = "detections"
    item_class = Detection


class Polyline(Label):
    """Polygons or polylines: ``points`` is a list of shapes, each a list of ``(x, y)``."""

    _DECLARED = {
        "label": None,
        "points": [],
        "confidence": None,
        "index": None,
        "closed": False,
        "filled": False,
    }


class Polylines(Label):
    """A list of :class:`Polyline`."""

    _DECLARED = {"polylines": []}
    list_field = "polylines"
    item_class = Polyline


class Keypoint(Label):
    """Points of one object; a missing point is ``(nan, nan)``."""

    _DECLARED = {"label": None, "points": [], "confidence": None, "index": None}


class Keypoints(Label):
    """A list of :class:`Keypoint`."""

    _DECLARED = {"keypoints": []}
    list_field = "keypoints"
    item_class = Keypoint


class Segmentation(Label):
    """A semantic segmentation: ``mask`` (2-D integer array) or ``mask_path`` on disk."""

    _DECLARED = {"mask": None, "mask_path": None}

    def get_mask(self) -> np.ndarray | None:
        """The mask array, read from ``mask_path`` when not held in memory."""
        if self.mask is not None:
            return self.mask
        if self.mask_path:
            from PIL import Image

            with Image.open(self.mask_path) as img:
                return np.asarray(img)
        return None


class TemporalDetection(Label):
    """A labelled span of a video: ``support = [first, last]`` frame numbers (1-based, inclusive)."""

    _DECLARED = {"label": None, "support": None, "confidence": None}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if self._values["support"] is not None:
            self["support"] = self._values["support"]

    def __setitem__(self, name: str, value: Any) -> None:
        if name == "support" and value is not None:
            value = check_support(value)
        super().__setitem__(name, value)


class TemporalDetections(Label):
    """A list of :class:`TemporalDetection`."""

    _DECLARED = {"detections": []}
    list_field = "detections"
    item_class = TemporalDetection


def check_support(value: Any) -> list[int]:
    """``[first, last]`` as two ints with ``1 <= first <= last`` (``ValueError`` otherwise)."""
    try:
        first, last = (int(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"A support is [first, last] frame numbers, not {value!r}") from None
    if not 1 <= first <= last:
        raise ValueError(f"A support needs 1 <= first <= last, not {value!r}")
    return [first, last]


#: Label classes that hold a list of other labels.
LIST_LABELS: tuple[type[Label], ...] = (
    Classifications,
    Detections,
    Polylines,
    Keypoints,
    TemporalDetections,
)
#: All concrete label classes by name.
LABEL_CLASSES: dict[str, type[Label]] = _REGISTRY


def label_class(name: str) -> type[Label]:
    """The label class called ``name`` (``ValueError`` when unknown)."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(
            f"Unknown label class {name!r}; expected one of {sorted(_REGISTRY)}"
        ) from None
