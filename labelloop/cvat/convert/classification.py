"""Classification(s) <-> CVAT tags: one tag per class label, attributes alongside."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from labelloop.core.labels import Classification, Classifications, Label
from labelloop.cvat.convert.attributes import attributes_to_cvat
from labelloop.cvat.convert.common import class_name, label_kwargs, new_tag, options_or_default
from labelloop.cvat.convert.options import ConvertOptions


def to_cvat(
    label: Classification | Classifications,
    frame_size: Sequence[int] | None = None,
    frame: int = 0,
    options: ConvertOptions | None = None,
) -> list[dict[str, Any]]:
    """CVAT tags for a classification (one) or classifications (one per item).

    ``frame_size`` is unused (tags have no geometry) and accepted for uniformity.
    """
    options = options_or_default(options)
    if isinstance(label, Classifications):
        items = label.classifications
    elif isinstance(label, Classification):
        items = [label]
    else:
        raise ValueError(
            f"classification.to_cvat takes Classification(s), not {type(label).__name__}"
        )
    return [new_tag(class_name(item), frame, attributes_to_cvat(item, options)) for item in items]


def from_cvat(
    obj: Mapping[str, Any],
    frame_size: Sequence[int] | None = None,
    options: ConvertOptions | None = None,
    template: Label | None = None,
) -> Classification:
    """The :class:`Classification` a CVAT tag holds (``frame_size`` is unused)."""
    if obj.get("type") not in (None, "tag"):
        raise ValueError(f"classification.from_cvat takes tags, got a {obj.get('type')!r} shape")
    options = options_or_default(options)
    return Classification(**label_kwargs(obj, options, Classification, template))
