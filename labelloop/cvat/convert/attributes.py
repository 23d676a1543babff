"""Label attributes <-> CVAT attribute strings, plus the occluded/group/id bindings.

CVAT keeps every attribute value as a string. Encoding is fixed: ``True`` ->
``"true"``, ``False`` -> ``"false"``, numbers by ``repr`` (floats round-trip
exactly), strings unchanged; ``None`` is simply not sent. Decoding follows the
schema's attribute type: checkboxes give bools, ``select``/``radio`` give back
the original typed value from ``values``, ``number`` gives int/float, and text
stays text (``"007"`` is not ``7``) unless ``coerce_text`` asks for parsing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from labelloop.core.ids import is_id
from labelloop.core.labels import Label
from labelloop.cvat.convert.options import ConvertOptions

logger = logging.getLogger(__name__)

_INT_RE = re.compile(r"^[+-]?\d+$")
#: Custom attribute that tracks carry themselves, never sent as a CVAT attribute.
KEYFRAME_ATTR = "keyframe"


def encode_value(value: Any, name: str = "value") -> str:
    """The CVAT string for a scalar attribute ``value`` (``name`` is for errors)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return value
    raise ValueError(
        f"Attribute {name!r} holds a {type(value).__name__}; CVAT attributes can only "
        "hold str, int, float or bool values"
    )


def coerce_text(text: str) -> Any:
    """Parse text into a bool, int or float where it reads as one, else keep it."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if _INT_RE.match(text.strip()):
        return int(text)
    try:
        return float(text)
    except ValueError:
        return text


def decode_value(
    text: str | None, spec: Mapping[str, Any] | None = None, *, coerce: bool = False
) -> Any:
    """The label value for CVAT attribute string ``text`` under schema entry ``spec``."""
    if text is None or text == "":
        return None
    kind = (spec or {}).get("type", "text")
    if kind == "checkbox" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    if kind in ("select", "radio", "checkbox"):
        for option in (spec or {}).get("values") or ():
            if option is not None and encode_value(option) == text:
                return option
    if kind == "number":
        parsed = coerce_text(text)
        return text if isinstance(parsed, bool) else parsed
    return coerce_text(text) if coerce else text


def _check_allowed(name: str, text: str, spec: Mapping[str, Any] | None) -> None:
    if not spec or spec.get("type") not in ("select", "radio"):
        return
    allowed = [encode_value(v, name) for v in spec.get("values") or () if v is not None]
    if text not in allowed:
        raise ValueError(
            f"Attribute {name!r} has value {text!r}, which its {spec['type']} schema does "
            f"not allow; allowed values: {allowed}"
        )


def _reserved(label: Label) -> set[str]:
    return set(type(label)._DECLARED) | {"id", "tags"}


def _bound_names(options: ConvertOptions) -> set[str]:
    return {
        n
        for n in (options.occluded, options.group_id, options.id_attr, options.missing_points_attr)
        if n
    }


def attributes_to_cvat(
    label: Label, options: ConvertOptions, skip: Iterable[str] = ()
) -> list[dict[str, str]]:
    """CVAT attributes of ``label``: its id first, then schema (or all scalar) attributes.

    ``skip`` names attributes the shape itself carries (a rectangle's ``rotation``).
    """
    out: list[dict[str, str]] = []
    if options.id_attr:
        out.append({"name": options.id_attr, "value": label.id})
    skip = _bound_names(options) | {KEYFRAME_ATTR, *skip}
    class_name = label.get_field("label")
    schema = options.schema_for(class_name if isinstance(class_name, str) else None)
    if schema is not None:
        names: Iterable[str] = [n for n in schema if n not in skip]
    else:
        reserved = _reserved(label)
        names = [n for n in label.dynamic_attributes if n not in skip and n not in reserved]
    for name in names:
        spec = (schema or {}).get(name)
        value = label.get_field(name)
        if value is None:
            continue
        if schema is None and not isinstance(value, (str, int, float, np.generic)):
            logger.debug("Not sending non-scalar attribute %r of label %s", name, label.id)
            continue
        text = encode_value(value, name)
        _check_allowed(name, text, spec)
        out.append({"name": name, "value": text})
    return out


def shape_flags(label: Label, options: ConvertOptions) -> tuple[bool, int]:
    """``(occluded, group)`` for a label's CVAT shape from the bound attributes."""
    occluded = False
    if options.occluded:
        value = label.get_field(options.occluded)
        if isinstance(value, str):
            occluded = value.strip().lower() == "true"
        elif value is not None:
            occluded = bool(value)
    group = 0
    if options.group_id:
        value = label.get_field(options.group_id)
        if value is not None:
            whole = isinstance(value, (int, np.integer)) or (
                isinstance(value, float) and value.is_integer()
            )
            if isinstance(value, bool) or not whole or value < 0:
                raise ValueError(
                    f"Attribute {options.group_id!r} of label {label.id} is bound to CVAT's "
                    f"group number, so it must be a non-negative integer, not {value!r}"
                )
            group = int(value)
    return occluded, group


def restore_type(text: str, like: Any) -> Any:
    """``text`` parsed as the type of ``like`` (bool, int or float) when it reads as one."""
    if isinstance(like, bool):
        lowered = text.strip().lower()
        return lowered == "true" if lowered in ("true", "false") else text
    if isinstance(like, (int, float, np.number)):
        parsed = coerce_text(text)
        if isinstance(parsed, (int, float)) and not isinstance(parsed, bool):
            return float(parsed) if isinstance(like, (float, np.floating)) else parsed
    return text


def attributes_from_cvat(
    obj: Mapping[str, Any],
    options: ConvertOptions,
    label_cls: type[Label],
    template: Label | None = None,
) -> dict[str, Any]:
    """Label constructor kwargs (``id`` and custom attributes) from a CVAT object.

    A text value whose attribute held a bool or number on ``template`` (the
    uploaded label) gets that type back, so ``iscrowd=0`` survives a text widget
    while ``"007"`` stays a string.
    """
    kwargs: dict[str, Any] = {}
    class_name = obj.get("label")
    schema = options.schema_for(class_name if isinstance(class_name, str) else None) or {}
    reserved = (set(label_cls._DECLARED) | {"tags"}) - set(schema)
    for attr in obj.get("attributes") or ():
        name, text = attr["name"], attr.get("value")
        if name == options.id_attr:
            if is_id(text):
                kwargs["id"] = text
            continue
        if name == options.missing_points_attr or name in ("id", "_cls"):
            continue
        if name in reserved:
            raise ValueError(
                f"CVAT attribute {name!r} collides with the {label_cls.__name__} field of "
                "that name; rename the attribute in the label schema"
            )
        value = decode_value(text, schema.get(name), coerce=options.coerce_text)
        if isinstance(value, str) and template is not None:
            value = restore_type(value, template.get_field(name))
        if value is not None:
            kwargs[name] = value
    if options.occluded and "occluded" in obj:
        kwargs[options.occluded] = bool(obj["occluded"])
    if options.group_id and obj.get("group"):
        kwargs[options.group_id] = int(obj["group"])
    return kwargs
