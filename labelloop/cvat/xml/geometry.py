"""Shape geometry as CVAT's XML holds it, both ways.

Points are the flat absolute-pixel lists of CVAT's object model; the XML
spells them per shape kind (``xtl``/``ytl``/... for boxes, ``cx``/``rx`` for
ellipses, ``rle`` + bounding box for masks, ``x,y;x,y`` for polygons). Floats
are written with two decimals as CVAT's exporter does, so a value read back
writes out identically.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from labelloop.cvat.xml.errors import CVATXMLError

#: XML element name -> object-model shape type.
TYPE_OF_TAG = {
    "box": "rectangle",
    "polygon": "polygon",
    "polyline": "polyline",
    "points": "points",
    "mask": "mask",
    "ellipse": "ellipse",
    "cuboid": "cuboid",
    "skeleton": "skeleton",
}
#: Object-model shape type -> XML element name.
TAG_OF_TYPE = {v: k for k, v in TYPE_OF_TAG.items()}

_BOX_KEYS = ("xtl", "ytl", "xbr", "ybr")
_CUBOID_KEYS = tuple(
    f"{axis}{corner}{face}" for face in "12" for corner in ("tl", "bl", "tr", "br") for axis in "xy"
)
_POLY_TYPES = ("polygon", "polyline", "points")
_MIN_POLY_POINTS = {"polygon": 3, "polyline": 2, "points": 1}


def fmt(value: float) -> str:
    """A coordinate as CVAT writes it: two decimals."""
    return f"{value:.2f}"


def parse_number(attrs: dict[str, str], key: str, where: str, cast: type = float) -> Any:
    """XML attribute ``key`` as ``cast`` (float or int), or a :class:`CVATXMLError`."""
    try:
        return cast(attrs[key])
    except KeyError:
        raise CVATXMLError(f"{where}: missing attribute '{key}'") from None
    except ValueError:
        kind = "a number" if cast is float else "an integer"
        raise CVATXMLError(f"{where}: attribute '{key}'={attrs[key]!r} is not {kind}") from None


def parse_points(shape_type: str, attrs: dict[str, str], where: str) -> list[float]:
    """The object-model point list of a shape element's XML attributes."""
    if shape_type == "rectangle":
        return [parse_number(attrs, k, where) for k in _BOX_KEYS]
    if shape_type == "cuboid":
        return [parse_number(attrs, k, where) for k in _CUBOID_KEYS]
    if shape_type == "ellipse":
        cx, cy, rx, ry = (parse_number(attrs, k, where) for k in ("cx", "cy", "rx", "ry"))
        # CVAT stores the ellipse as its centre and a corner of its bounding box.
        return [cx, cy, float(fmt(cx + rx)), float(fmt(cy - ry))]
    if shape_type == "mask":
        left, top = parse_number(attrs, "left", where, int), parse_number(attrs, "top", where, int)
        width, height = (
            parse_number(attrs, "width", where, int),
            parse_number(attrs, "height", where, int),
        )
        rle_text = attrs.get("rle")
        if rle_text is None:
            raise CVATXMLError(f"{where}: missing attribute 'rle'")
        try:
            rle = [int(v) for v in rle_text.split(",")] if rle_text.strip() else []
        except ValueError:
            raise CVATXMLError(f"{where}: 'rle' must be comma-separated integers") from None
        if width < 1 or height < 1 or sum(rle) != width * height:
            raise CVATXMLError(
                f"{where}: the mask's RLE covers {sum(rle)} pixels but its box is {width}x{height}"
            )
        return [*rle, left, top, left + width - 1, top + height - 1]
    if shape_type == "skeleton":
        return []
    text = attrs.get("points")
    if text is None:
        raise CVATXMLError(f"{where}: missing attribute 'points'")
    points: list[float] = []
    try:
        for pair in text.split(";"):
            x, y = pair.split(",")
            points += [float(x), float(y)]
    except ValueError:
        raise CVATXMLError(f"{where}: 'points' must look like 'x0,y0;x1,y1;...'") from None
    return points


def check_points(shape_type: str, points: Sequence[float], where: str) -> None:
    """Raise :class:`CVATXMLError` unless ``points`` fits ``shape_type``."""
    n = len(points)
    if shape_type in ("rectangle", "ellipse") and n != 4:
        raise CVATXMLError(f"{where}: a {shape_type} needs 4 numbers in 'points', got {n}")
    if shape_type == "cuboid" and n != 16:
        raise CVATXMLError(f"{where}: a cuboid needs 16 numbers in 'points', got {n}")
    if shape_type == "mask":
        if n < 5:
            raise CVATXMLError(f"{where}: a mask needs its RLE and [left, top, right, bottom]")
        left, top, right, bottom = (int(v) for v in points[-4:])
        area = (right - left + 1) * (bottom - top + 1)
        if right < left or bottom < top or sum(int(v) for v in points[:-4]) != area:
            raise CVATXMLError(
                f"{where}: the mask's RLE does not cover its box [{left}, {top}, {right}, {bottom}]"
            )
    if shape_type in _POLY_TYPES and (n % 2 or n < 2 * _MIN_POLY_POINTS[shape_type]):
        raise CVATXMLError(
            f"{where}: a {shape_type} needs at least {_MIN_POLY_POINTS[shape_type]} (x, y) "
            f"pairs as a flat list, got {n} numbers"
        )


def format_points(shape_type: str, points: Sequence[float]) -> list[tuple[str, str]]:
    """The XML attributes, in CVAT's order, spelling ``points`` for ``shape_type``."""
    if shape_type == "rectangle":
        return [(k, fmt(v)) for k, v in zip(_BOX_KEYS, points)]
    if shape_type == "cuboid":
        return [(k, fmt(v)) for k, v in zip(_CUBOID_KEYS, points)]
    if shape_type == "ellipse":
        cx, cy, x2, y2 = points
        return [("cx", fmt(cx)), ("cy", fmt(cy)), ("rx", fmt(x2 - cx)), ("ry", fmt(cy - y2))]
    if shape_type == "mask":
        left, top, right, bottom = (int(v) for v in points[-4:])
        return [
            ("rle", ", ".join(str(int(v)) for v in points[:-4])),
            ("left", str(left)),
            ("top", str(top)),
            ("width", str(right - left + 1)),
            ("height", str(bottom - top + 1)),
        ]
    if shape_type == "skeleton":
        return []
    pairs = (f"{fmt(points[i])},{fmt(points[i + 1])}" for i in range(0, len(points), 2))
    return [("points", ";".join(pairs))]
