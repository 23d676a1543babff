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
    sent as text. ``class_attributes`` adds per-class specs (class -> name ->
    spec) on top of the global ones. ``occluded_attr``/``group_id_attr`` name the label attributes
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
    class_attributes: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None
    occluded_attr: str | None = None
    group_id_attr: str | None = None
    id_attr: str | None = "label_id"
    coerce_text: bool = False
    missing_points_attr: str | None = None
    skeleton_points: Mapping[str, Sequence[str]] | None = None
    filled: bool | None = None
    mask_targets: Mapping[int, str] | None = None

    def __post_init__(self) -> None:
        for name, spec in self._all_specs():
            if not isinstance(spec, Mapping):
                raise ValueError(
                    f"attributes[{name!r}] must be a dict like {{'type': 'text'}}, got {spec!r}"
                )
            kind = spec.get("type", "text")
            if kind not in ATTRIBUTE_TYPES:
                raise ValueError(
                    f"attributes[{name!r}] has type {kind!r}; expected one of {ATTRIBUTE_TYPES}"
                )

    def _all_specs(self) -> list[tuple[str, Mapping[str, Any]]]:
        specs = list((self.attributes or {}).items())
        for per_class in (self.class_attributes or {}).values():
            specs.extend(per_class.items())
        return specs

    def _bound(self, kind: str, explicit: str | None) -> str | None:
        if explicit:
            return explicit
        for name, spec in self._all_specs():
            if isinstance(spec, Mapping) and spec.get("type") == kind:
                return name
        return None

    def schema_for(self, class_name: str | None) -> Mapping[str, Mapping[str, Any]] | None:
        """The attribute specs of class ``class_name``: global plus its own (``None``: any)."""
        own = (self.class_attributes or {}).get(class_name) if class_name else None
        if own is None:
            return self.attributes
        return {**(self.attributes or {}), **own}

    @property
    def occluded(self) -> str | None:
        """The label attribute bound to CVAT's ``occluded`` flag, if any."""
        return self._bound("occluded", self.occluded_attr)

    @property
    def group_id(self) -> str | None:
        """The label attribute bound to CVAT's ``group`` number, if any."""
        return self._bound("group_id", self.group_id_attr)

    def spec(self, name: str, class_name: str | None = None) -> Mapping[str, Any] | None:
        """The schema entry of attribute ``name`` for ``class_name`` (``None``: unknown)."""
        return (self.schema_for(class_name) or {}).get(name)

    def is_mutable(self, name: str, class_name: str | None = None) -> bool:
        """Whether attribute ``name`` may change between the frames of a track."""
        spec = self.spec(name, class_name)
        return spec is None or bool(spec.get("mutable", True))


DEFAULT_OPTIONS = ConvertOptions()
