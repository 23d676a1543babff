"""Scalar fields (str/int/float/bool values) <-> CVAT tags.

Without classes a value becomes a tag named after the field with one text
attribute ``value``; with classes the value itself is the tag's label and must
be one of them. ``None`` means no tag, and no tag decodes to ``None``.
Decoding restores the value's type from ``value_type`` (or the original
class), so ``"007"`` stays a string for string fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from labelloop.cvat.convert.attributes import coerce_text, decode_value, encode_value
from labelloop.cvat.convert.common import new_tag, options_or_default
from labelloop.cvat.convert.options import ConvertOptions

#: Name of the tag attribute holding a class-less scalar's value.
VALUE_ATTR = "value"
_TYPES = (str, int, float, bool)


def _parse(text: str, value_type: type | None, what: str) -> Any:
    if value_type is None or value_type is str:
        return text
    if value_type is bool:
        if text.lower() not in ("true", "false"):
            raise ValueError(f"{what} {text!r} is not a bool ('true' or 'false')")
        return text.lower() == "true"
    parsed = coerce_text(text)
    if value_type is float and isinstance(parsed, int) and not isinstance(parsed, bool):
        return float(parsed)
    if type(parsed) is not value_type:
        raise ValueError(f"{what} {text!r} is not a {value_type.__name__}")
    return parsed


def to_cvat(
    value: Any,
    frame_size: Sequence[int] | None = None,
    frame: int = 0,
    options: ConvertOptions | None = None,
    *,
    field: str,
    classes: Sequence[Any] | None = None,
) -> list[dict[str, Any]]:
    """The tag (or none, for ``None``) holding ``value`` of scalar field ``field``."""
    if value is None:
        return []
    text = encode_value(value, field)
    if not classes:
        return [new_tag(field, frame, [{"name": VALUE_ATTR, "value": text}])]
    names = [encode_value(c, field) for c in classes]
    if text not in names:
        raise ValueError(
            f"Scalar field {field!r} has value {value!r}, which is not one of its classes {names}"
        )
    return [new_tag(text, frame, [])]


def from_cvat(
    obj: Mapping[str, Any],
    frame_size: Sequence[int] | None = None,
    options: ConvertOptions | None = None,
    *,
    field: str,
    classes: Sequence[Any] | None = None,
    value_type: type | None = None,
) -> Any:
    """The value of scalar field ``field`` held by a CVAT tag.

    ``value_type`` (str, int, float or bool) is the field's type when known.
    """
    if value_type is not None and value_type not in _TYPES:
        raise ValueError(f"value_type must be one of str, int, float, bool; got {value_type!r}")
    options = options_or_default(options)
    name = obj.get("label")
    if classes:
        for option in classes:
            if encode_value(option, field) == name:
                return option
        raise ValueError(f"CVAT tag {name!r} is not one of the classes of scalar field {field!r}")
    if name != field:
        raise ValueError(f"CVAT tag {name!r} does not belong to scalar field {field!r}")
    text = next(
        (a.get("value") for a in obj.get("attributes") or () if a["name"] == VALUE_ATTR), None
    )
    if text is None or text == "":
        return None
    if value_type is not None:
        return _parse(text, value_type, f"Scalar field {field!r} value")
    return decode_value(text, options.spec(VALUE_ATTR), coerce=options.coerce_text)
