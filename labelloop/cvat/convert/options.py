"""The settings every converter takes: attribute schema, bindings, provenance."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: Attribute types CVAT understands; ``occluded``/``group_id`` bind to shape flags instead.
ATTRIBUTE_TYPES = ("text", "select", "radio", "checkbox", "number", "occluded", "group_id")


@dataclass(frozen=True)
class ConvertOptions:
    """How labels meet CVAT objects; one instance serves a whole label field.

    ``attributes`` is the field's attribute schema (name -> ``{"type", "values",
    "mutable", ...}``); ``None`` means every scalar custom attribute of a label is
    sent as text. ``occluded_attr``/``group_id_attr`` name the label attributes
    bound to CVAT's shape ``occluded`` flag and ``group`` number (schema entries of
    type ``occluded``/``group_id`` bind the same way). ``id_attr`` is the CVAT
    attribute carrying the label id (``None``: ids are not sent). ``coerce_text``
    parses text attributes into bool/int/float (off: ``"007"`` stays ``"007"``).
    ``missing_points_attr`` names a text attribute that records where a
    keypoint's missing (NaN) points sit, so they survive CVAT. ``skeleton_points``
    maps a skeleton label to its element labels in keypoint order. ``filled``
    is the ``Polyline.filled`` given to downloaded polygons (default ``True``)
    when no template label says otherwise. ``mask_targets`` maps the pixel
    values of semantic segmentations to class names.
    """

    attributes: Mapping[str, Mapping[str, Any]] | None = None
    occluded_attr: str | None = None
    group_id_attr: str | None = None
    id_attr: str | None = "label_id"
    coerce_text: bool = False
    missing_points_attr: str | None = None
    skeleton_points: Mapping[str, Sequence[str]] | None = None
    filled: bool | None = None
    mask_targets: Mapping[int, str] | None = None

    def __post_init__(self) -> None:
        for name, spec in (self.attributes or {}).items():
            if not isinstance(spec, Mapping):
                raise ValueError(
                    f"attributes[{name!r}] must be a dict like {{'type': 'text'}}, got {spec!r}"
                )
            kind = spec.get("type", "text")
            if kind not in ATTRIBUTE_TYPES:
                raise ValueError(
                    f"attributes[{name!r}] has type {kind!r}; expected one of {ATTRIBUTE_TYPES}"
                )

    def _bound(self, kind: str, explicit: str | None) -> str | None:
        if explicit:
            return explicit
        for name, spec in (self.attributes or {}).items():
            if spec.get("type") == kind:
                return name
        return None

    @property
    def occluded(self) -> str | None:
        """The label attribute bound to CVAT's ``occluded`` flag, if any."""
        return self._bound("occluded", self.occluded_attr)

    @property
    def group_id(self) -> str | None:
        """The label attribute bound to CVAT's ``group`` number, if any."""
        return self._bound("group_id", self.group_id_attr)

    def spec(self, name: str) -> Mapping[str, Any] | None:
        """The schema entry of attribute ``name`` (``None`` when unknown)."""
        return (self.attributes or {}).get(name)

    def is_mutable(self, name: str) -> bool:
        """Whether attribute ``name`` may change between the frames of a track."""
        spec = self.spec(name)
        return spec is None or bool(spec.get("mutable", True))


DEFAULT_OPTIONS = ConvertOptions()
