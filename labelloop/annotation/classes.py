"""Classes and mask targets of a label schema field, and lookups on normalised specs.

A class list holds class names and ``{"classes": [...], "attributes": {...}}``
groups whose attributes apply only to those classes; segmentation fields name
their classes through ``mask_targets`` (pixel value or ``#rrggbb`` -> name).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from labelloop.annotation.attributes import check_unique_widgets, validate_attr_spec

if TYPE_CHECKING:
    from labelloop.annotation.base import AnnotationBackend

_HEX_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
#: Mask targets of an existing segmentation field that declares none.
DEFAULT_MASK_TARGETS: dict[int, str] = {0: "background", **{i: str(i) for i in range(1, 256)}}


def parse_classes(
    where: str, classes: Any, backend: AnnotationBackend, spatial: bool
) -> tuple[list[Any], list[str], set[str]]:
    """Checked class list: ``(normalised items, flat names, attributes of class groups)``."""
    if not isinstance(classes, (list, tuple)):
        raise ValueError(f"{where}: classes must be a list, not {type(classes).__name__}")
    out: list[Any] = []
    names: list[str] = []
    group_attrs: set[str] = set()
    for item in classes:
        if isinstance(item, str):
            out.append(item)
            names.append(item)
        elif isinstance(item, dict):
            group = _class_group(backend, where, item, spatial)
            out.append(group)
            names.extend(group["classes"])
            group_attrs |= set(group["attributes"])
        else:
            raise ValueError(
                f"{where}: classes must hold strings or {{'classes': [...], 'attributes': {{...}}}} "
                f"groups, not {item!r}"
            )
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"{where}: class(es) {duplicates} appear more than once; list each once")
    if not names:
        raise ValueError(f"{where}: classes is empty; give at least one class")
    return out, names, group_attrs


def _class_group(
    backend: AnnotationBackend, where: str, item: dict[str, Any], spatial: bool
) -> dict[str, Any]:
    missing = [k for k in ("classes", "attributes") if k not in item]
    extra = sorted(set(item) - {"classes", "attributes"})
    if missing or extra:
        raise ValueError(
            f"{where}: a class group must have exactly the keys 'classes' and 'attributes' "
            f"(missing {missing}, unknown {extra})"
        )
    group_classes = item["classes"]
    if (
        not isinstance(group_classes, (list, tuple))
        or not group_classes
        or not all(isinstance(c, str) for c in group_classes)
    ):
        raise ValueError(
            f"{where}: a class group's 'classes' must be a non-empty list of strings, not "
            f"{group_classes!r}"
        )
    attrs = item["attributes"]
    if not isinstance(attrs, dict):
        raise ValueError(
            f"{where}: a class group's 'attributes' must be a dict of name -> spec, not {attrs!r}"
        )
    specs = {
        name: validate_attr_spec(
            f"{where}, class group {list(group_classes)}, attribute {name!r}",
            name,
            spec if spec else backend.recommend_attr_tool(name, None),
            backend,
            spatial,
        )
        for name, spec in attrs.items()
    }
    check_unique_widgets(f"{where}, class group {list(group_classes)}", specs)
    return {"classes": list(group_classes), "attributes": specs}


def parse_scalar_classes(where: str, classes: Any) -> list[Any]:
    """Optional value list of a scalar field."""
    if classes is None:
        return []
    if not isinstance(classes, (list, tuple)) or not all(
        isinstance(c, (str, int, float, bool)) for c in classes
    ):
        raise ValueError(f"{where}: scalar classes must be a list of values, not {classes!r}")
    return list(classes)


def parse_mask_targets(where: str, targets: Any) -> dict[Any, str]:
    """Checked ``{pixel value | '#rrggbb': class name}`` (digit strings become ints)."""
    if not isinstance(targets, dict) or not targets:
        raise ValueError(
            f"{where}: mask_targets must be a non-empty dict of pixel value -> class name, not "
            f"{targets!r}"
        )
    out: dict[Any, str] = {}
    for key, name in targets.items():
        if isinstance(key, str) and key.isdigit():
            key = int(key)
        valid_key = (isinstance(key, int) and not isinstance(key, bool) and key >= 0) or (
            isinstance(key, str) and _HEX_RE.match(key)
        )
        if not valid_key:
            raise ValueError(
                f"{where}: mask_targets keys must be non-negative ints or '#rrggbb' colours, "
                f"not {key!r}"
            )
        if not isinstance(name, str) or not name:
            raise ValueError(f"{where}: mask_targets[{key!r}] must be a class name, not {name!r}")
        out[key] = name
    named = [n for k, n in out.items() if k not in (0, "#000000")]
    if len(set(named)) != len(named):
        raise ValueError(f"{where}: mask_targets maps several values to one class name")
    return out


def schema_attributes(spec: dict[str, Any], label: str | None) -> dict[str, dict[str, Any]]:
    """Attribute specs that apply to a label of class ``label`` (field-wide + its class group)."""
    out = dict(spec.get("attributes") or {})
    for item in spec.get("classes") or []:
        if isinstance(item, dict) and label in item["classes"]:
            out.update(item["attributes"])
    return out


def class_names(spec: dict[str, Any]) -> list[Any]:
    """Flat list of a normalised field spec's class names."""
    out: list[Any] = []
    for item in spec.get("classes") or []:
        out.extend(item["classes"] if isinstance(item, dict) else [item])
    return out
