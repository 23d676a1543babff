"""Label attributes in a schema: parse ``attributes=`` forms, validate specs, infer widgets.

A normalised attribute spec is a dict with ``type`` and, as the backend needs
them, ``values``/``default``/``mutable``/``read_only``. Validation raises a
``ValueError`` naming the field, the attribute and the fix.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from labelloop.core.labels import Label

if TYPE_CHECKING:
    from labelloop.annotation.base import AnnotationBackend

#: Label attributes that an annotation schema cannot claim as custom attributes.
RESERVED_ATTRS = frozenset(
    {
        "id",
        "_id",
        "label",
        "label_id",
        "tags",
        "bounding_box",
        "mask",
        "mask_path",
        "points",
        "closed",
        "filled",
        "index",
        "confidence",
        "logits",
    }
)
_SPEC_KEYS = ("type", "values", "default", "mutable", "read_only")
_SCALARS = (str, int, float, bool)


def observed_attributes(
    labels: Iterable[Label], exclude: Iterable[str] = (), found: dict[str, Any] | None = None
) -> dict[str, Any]:
    """First non-``None`` scalar value of each custom attribute found on ``labels``.

    An attribute whose values mix booleans with other types is reported with a
    string so it gets a free-text widget. ``found`` (updated in place) carries
    what earlier labels showed, so labels can be summarised one at a time.
    """
    skip = RESERVED_ATTRS | set(exclude)
    found = {} if found is None else found
    for label in labels:
        for name, value in label.iter_attributes():
            if name in skip or not isinstance(value, _SCALARS):
                continue
            if name not in found:
                found[name] = value
            elif isinstance(found[name], bool) != isinstance(value, bool):
                found[name] = str(value)
    return found


def parse_attributes(
    where: str,
    attributes: Any,
    observed: dict[str, Any] | None,
    backend: AnnotationBackend,
    spatial: bool,
) -> dict[str, dict[str, Any]]:
    """Normalise one ``attributes`` value (``True``/``False``/``None``/str/list/dict).

    ``observed`` holds existing attribute values (``None`` for a new field);
    ``where`` names the schema location in error messages.
    """
    observed = observed or {}
    if attributes is True:
        specs = {name: backend.recommend_attr_tool(name, v) for name, v in observed.items()}
    elif attributes is False or attributes is None:
        specs = {}
    elif isinstance(attributes, str):
        specs = {attributes: _recommend(backend, attributes, observed)}
    elif isinstance(attributes, (list, tuple)):
        specs = {}
        for name in attributes:
            if not isinstance(name, str):
                raise ValueError(
                    f"{where}: attribute names must be strings, not {name!r}; pass e.g. "
                    "attributes=['occluded', 'iscrowd']"
                )
            if name in specs:
                raise ValueError(f"{where}: attribute {name!r} is listed twice; list it once")
            specs[name] = _recommend(backend, name, observed)
    elif isinstance(attributes, dict):
        specs = {}
        for name, spec in attributes.items():
            if not isinstance(name, str):
                raise ValueError(f"{where}: attribute names must be strings, not {name!r}")
            if spec is None or spec == {}:
                spec = _recommend(backend, name, observed)
            specs[name] = spec
    else:
        raise ValueError(
            f"{where}: attributes must be True, False, a list of names or a dict of name -> "
            f"spec, not {type(attributes).__name__}"
        )
    out = {}
    for name, spec in specs.items():
        out[name] = validate_attr_spec(f"{where}, attribute {name!r}", name, spec, backend, spatial)
    check_unique_widgets(where, out)
    return out


def _recommend(backend: AnnotationBackend, name: str, observed: dict[str, Any]) -> dict[str, Any]:
    if name in observed:
        return backend.recommend_attr_tool(name, observed[name])
    return backend.recommend_attr_tool(name, None)


def validate_attr_spec(
    where: str, name: str, spec: Any, backend: AnnotationBackend, spatial: bool
) -> dict[str, Any]:
    """A checked, completed copy of one attribute spec."""
    if name in RESERVED_ATTRS or not name or name.startswith("_"):
        raise ValueError(
            f"{where}: {name!r} is a reserved label attribute and cannot be annotated as a "
            f"custom attribute; choose another name (reserved: {sorted(RESERVED_ATTRS)})"
        )
    if not isinstance(spec, dict):
        raise ValueError(
            f"{where}: the spec must be a dict like {{'type': 'text'}}, not {type(spec).__name__}"
        )
    unknown = sorted(set(spec) - set(_SPEC_KEYS))
    if unknown:
        raise ValueError(
            f"{where}: unknown key(s) {unknown} in the attribute spec; allowed keys are "
            f"{list(_SPEC_KEYS)}"
        )
    spec = dict(spec)
    attr_type = spec.get("type")
    supported = backend.supported_attr_types
    if attr_type is None:
        raise ValueError(f"{where}: the spec needs a 'type', one of {list(supported)}")
    if attr_type not in supported:
        raise ValueError(
            f"{where}: attribute type {attr_type!r} is not supported by the "
            f"{backend.config.name!r} backend; use one of {list(supported)}"
        )
    if "values" in spec:
        values = spec["values"]
        if not isinstance(values, (list, tuple)) or not all(
            v is None or isinstance(v, _SCALARS) for v in values
        ):
            raise ValueError(
                f"{where}: 'values' must be a list of strings, numbers or booleans, not {values!r}"
            )
        if len(set(map(repr, values))) != len(values):
            raise ValueError(f"{where}: 'values' {list(values)} has duplicates; list each once")
        spec["values"] = list(values)
    if backend.requires_attr_values(attr_type) and not spec.get("values"):
        raise ValueError(
            f"{where}: a {attr_type!r} attribute needs a non-empty 'values' list, e.g. "
            "'values': ['a', 'b']"
        )
    spec = backend.complete_attr_spec(spec)
    _check_widget_values(where, attr_type, spec, spatial)
    if "default" in spec and spec.get("values") and spec["default"] not in spec["values"]:
        raise ValueError(
            f"{where}: default {spec['default']!r} is not one of its values {spec['values']}; "
            "add it to 'values' or change 'default'"
        )
    for flag in ("mutable", "read_only"):
        if flag in spec and not isinstance(spec[flag], bool):
            raise ValueError(f"{where}: {flag!r} must be True or False, not {spec[flag]!r}")
    return spec


def _check_widget_values(where: str, attr_type: str, spec: dict[str, Any], spatial: bool) -> None:
    if attr_type in ("occluded", "group_id") and not spatial:
        raise ValueError(
            f"{where}: {attr_type!r} attributes exist only for spatial labels (boxes, polygons, "
            "keypoints); use a 'checkbox' or 'text' attribute instead"
        )
    if attr_type in ("checkbox", "occluded"):
        values = spec.get("values", [True, False])
        if not all(isinstance(v, bool) for v in values):
            raise ValueError(
                f"{where}: {attr_type!r} attributes hold booleans; 'values' must be "
                f"[True, False], not {values!r}"
            )
        if "default" in spec and not isinstance(spec["default"], bool):
            raise ValueError(f"{where}: the default of a {attr_type!r} attribute must be a bool")
    if attr_type == "group_id":
        if "values" in spec and spec["values"]:
            raise ValueError(f"{where}: 'group_id' attributes take no 'values'; remove them")
        if "default" in spec and (
            isinstance(spec["default"], bool) or not isinstance(spec["default"], int)
        ):
            raise ValueError(f"{where}: the default of a 'group_id' attribute must be an int")


def check_unique_widgets(where: str, specs: dict[str, dict[str, Any]]) -> None:
    """At most one ``occluded`` and one ``group_id`` attribute per field."""
    for widget in ("occluded", "group_id"):
        names = [n for n, s in specs.items() if s.get("type") == widget]
        if len(names) > 1:
            raise ValueError(
                f"{where}: only one {widget!r} attribute is allowed per field, found {names}; "
                "make the others 'checkbox' or 'text'"
            )
