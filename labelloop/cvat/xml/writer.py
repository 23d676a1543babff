"""Streaming writer of "CVAT for images/video 1.1" XML.

Elements, attribute names and their order, indentation and number formatting
follow CVAT's own exporter, so CVAT imports the files and a file CVAT wrote
comes back byte-identical after read -> write (except the ``dumped`` time if
the caller refreshes it). Each image or track is validated in full before any
of it is written; the file appears at its path only when :meth:`close`
succeeds (it is written next to it under a ``.partial`` name until then).
"""

from __future__ import annotations

import logging
import math
import numbers
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any, BinaryIO
from xml.sax.saxutils import XMLGenerator

from labelloop.cvat.xml.errors import CVATXMLError
from labelloop.cvat.xml.geometry import TAG_OF_TYPE, check_points, fmt, format_points
from labelloop.cvat.xml.meta import LIST_ITEM_TAG, to_text

logger = logging.getLogger(__name__)

FORMAT_VERSION = "1.1"
_INVALID_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

Element = tuple[str, list[tuple[str, str]], list[tuple[str, str]], list[Any]]
"""(tag, xml attributes, [(attribute name, value)], children elements)."""


def _text(value: Any, where: str) -> str:
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (str, int, float)):
        text = str(value)
    else:
        raise CVATXMLError(
            f"{where}: values must be text, numbers or bools, not {type(value).__name__}"
        )
    if _INVALID_XML_CHARS.search(text):
        raise CVATXMLError(f"{where}: {text!r} holds control characters XML cannot carry")
    return text


def _attributes(obj: Mapping[str, Any], where: str) -> list[tuple[str, str]]:
    out = []
    for attribute in obj.get("attributes") or []:
        name = attribute.get("name") if isinstance(attribute, Mapping) else None
        if not isinstance(name, str) or not name:
            raise CVATXMLError(f"{where}: attributes must be {{'name': str, 'value': str}} dicts")
        out.append((_text(name, where), _text(attribute.get("value", ""), f"{where} '{name}'")))
    return out


def _label(obj: Mapping[str, Any], where: str) -> str:
    label = obj.get("label")
    if not isinstance(label, str) or not label:
        raise CVATXMLError(f"{where}: 'label' must be a non-empty string")
    return _text(label, where)


def _shape_type(shape: Mapping[str, Any], where: str) -> str:
    shape_type = shape.get("type")
    if shape_type not in TAG_OF_TYPE:
        raise CVATXMLError(
            f"{where}: unknown shape type {shape_type!r}; expected one of {sorted(TAG_OF_TYPE)}"
        )
    return shape_type


def _points(shape_type: str, shape: Mapping[str, Any], where: str) -> list[tuple[str, str]]:
    points = shape.get("points")
    if shape_type == "skeleton":
        return []
    if not isinstance(points, Sequence) or isinstance(points, str):
        raise CVATXMLError(f"{where}: 'points' must be a list of numbers")
    try:
        values = [float(v) for v in points]
    except (TypeError, ValueError):
        raise CVATXMLError(f"{where}: 'points' must be a list of numbers") from None
    if not all(math.isfinite(v) for v in values):
        raise CVATXMLError(f"{where}: 'points' holds NaN or infinite values CVAT cannot store")
    check_points(shape_type, values, where)
    return format_points(shape_type, values)


def _number(obj: Mapping[str, Any], key: str, where: str, cast: type = int) -> Any:
    value = obj.get(key) or 0
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise CVATXMLError(f"{where}: {key!r} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise CVATXMLError(f"{where}: {key!r} must be finite, got {value!r}")
    if cast is int and not float(value).is_integer():
        raise CVATXMLError(f"{where}: {key!r} must be an integer, got {value!r}")
    return cast(value)


def _rotation(shape: Mapping[str, Any], where: str) -> list[tuple[str, str]]:
    rotation = _number(shape, "rotation", where, float)
    return (
        [("rotation", fmt(rotation))]
        if rotation and shape.get("type") in ("rectangle", "ellipse")
        else []
    )


def _group(obj: Mapping[str, Any], where: str) -> list[tuple[str, str]]:
    group = _number(obj, "group", where)
    return [("group_id", str(group))] if group else []


def _b(value: Any) -> str:
    return str(int(bool(value)))


def image_shape_element(shape: Mapping[str, Any], where: str, element: bool = False) -> Element:
    """One ``<image>`` child shape, as CVAT's image exporter spells it."""
    shape_type = _shape_type(shape, where)
    attrs = [
        ("label", _label(shape, where)),
        ("source", _text(shape.get("source") or "manual", where)),
    ]
    if element:
        attrs.append(("outside", _b(shape.get("outside"))))
    if shape_type != "skeleton":
        attrs.append(("occluded", _b(shape.get("occluded"))))
    attrs += _points(shape_type, shape, where) + _rotation(shape, where)
    if not element:
        attrs.append(("z_order", str(_number(shape, "z_order", where))))
    attrs += _group(shape, where)
    children = []
    if shape_type == "skeleton":
        children = [
            image_shape_element(e, f"{where} element {i}", element=True)
            for i, e in enumerate(shape.get("elements") or [])
        ]
    return (TAG_OF_TYPE[shape_type], attrs, _attributes(shape, where), children)


def track_shape_element(
    shape: Mapping[str, Any],
    track_attributes: list[tuple[str, str]],
    where: str,
    element: bool = False,
) -> Element:
    """One ``<track>`` child shape, as CVAT's video exporter spells it."""
    shape_type = _shape_type(shape, where)
    if element:
        attrs = [("label", _label(shape, where))]
    else:
        frame = shape.get("frame")
        if not isinstance(frame, int) or isinstance(frame, bool) or frame < 0:
            raise CVATXMLError(f"{where}: 'frame' must be an int >= 0, got {frame!r}")
        attrs = [("frame", str(frame))]
    attrs.append(("keyframe", _b(shape.get("keyframe", True))))
    if shape_type != "skeleton":
        attrs += [("outside", _b(shape.get("outside"))), ("occluded", _b(shape.get("occluded")))]
    attrs += _points(shape_type, shape, where) + _rotation(shape, where)
    if not element:
        attrs.append(("z_order", str(_number(shape, "z_order", where))))
    own = _attributes(shape, where)
    names = {name for name, _ in own}
    attributes = own + [(n, v) for n, v in track_attributes if n not in names]
    children = []
    if shape_type == "skeleton":
        children = [
            track_shape_element(e, [], f"{where} element {i}", element=True)
            for i, e in enumerate(shape.get("elements") or [])
        ]
    return (TAG_OF_TYPE[shape_type], attrs, attributes, children)


def tag_element(tag: Mapping[str, Any], where: str) -> Element:
    """One ``<tag>`` (image-level label)."""
    attrs = [("label", _label(tag, where)), ("source", _text(tag.get("source") or "manual", where))]
    return ("tag", attrs + _group(tag, where), _attributes(tag, where), [])


class CVATXMLWriter:
    """Write a CVAT XML file one image or track at a time.

    ``meta`` is the ``<meta>`` dict (see :func:`labelloop.cvat.xml.task_meta`).
    Use as a context manager, or call :meth:`close`; on an exception inside the
    ``with`` block the partial file is removed and the target left untouched.
    """

    def __init__(self, target: str | os.PathLike | BinaryIO, meta: Mapping[str, Any]) -> None:
        if not isinstance(meta, Mapping):
            raise CVATXMLError(f"meta must be a dict, not {type(meta).__name__}")
        self._meta_elements = _meta_pairs(meta, "meta")
        if isinstance(target, (str, os.PathLike)):
            self._path: str | None = os.fspath(target)
            self._partial = self._path + ".partial"
            self._file: BinaryIO = open(self._partial, "wb")
        else:
            self._path = None
            self._file = target
        self._gen = XMLGenerator(self._file, "utf-8")
        self._level = 0
        self._track_count = 0
        self._closed = False
        self._gen.startDocument()
        self._gen.startElement("annotations", {})
        self._level += 1
        self._indent()
        self._gen.startElement("version", {})
        self._gen.characters(FORMAT_VERSION)
        self._gen.endElement("version")
        self._indent()
        self._gen.startElement("meta", {})
        self._write_pairs(self._meta_elements)
        self._indent()
        self._gen.endElement("meta")

    # -- public -----------------------------------------------------------

    def write_image(self, image: Mapping[str, Any]) -> None:
        """Write one ``<image>``: its shapes in the given order, then its tags."""
        where = f"image {image.get('name')!r}"
        image_id = image.get("id")
        if not isinstance(image_id, int) or isinstance(image_id, bool) or image_id < 0:
            raise CVATXMLError(
                f"{where}: 'id' must be an int >= 0 (the frame index), got {image_id!r}"
            )
        name = image.get("name")
        if not isinstance(name, str) or not name:
            raise CVATXMLError(f"image {image_id}: 'name' must be a non-empty string")
        attrs = [("id", str(image_id)), ("name", _text(name, where))]
        if image.get("subset") is not None or image.get("task_id") is not None:
            attrs += [
                ("subset", _text(image.get("subset") or "default", where)),
                ("task_id", str(_number(image, "task_id", where))),
            ]
        for key in ("width", "height"):
            if image.get(key) is not None:
                attrs.append((key, str(_number(image, key, where))))
        shapes = image.get("shapes") or []
        children = [image_shape_element(s, f"{where} shape {i}") for i, s in enumerate(shapes)]
        children += [
            tag_element(t, f"{where} tag {i}") for i, t in enumerate(image.get("tags") or [])
        ]
        self._write_element(("image", attrs, [], children))

    def write_track(self, track: Mapping[str, Any]) -> None:
        """Write one ``<track>``; its immutable attributes are repeated on every shape."""
        track_id = track.get("id", self._track_count)
        where = f"track {track_id}"
        if not isinstance(track_id, int) or isinstance(track_id, bool):
            raise CVATXMLError(f"{where}: 'id' must be an int")
        attrs = [
            ("id", str(track_id)),
            ("label", _label(track, where)),
            ("source", _text(track.get("source") or "manual", where)),
        ]
        if track.get("task_id") is not None:
            attrs += [
                ("task_id", str(_number(track, "task_id", where))),
                ("subset", _text(track.get("subset") or "default", where)),
            ]
        attrs += _group(track, where)
        shared = _attributes(track, where)
        children = [
            track_shape_element(s, shared, f"{where} shape {i}")
            for i, s in enumerate(track.get("shapes") or [])
        ]
        self._write_element(("track", attrs, [], children))
        self._track_count += 1

    def close(self) -> None:
        """Finish the document and move it into place."""
        if self._closed:
            return
        self._closed = True
        self._level -= 1
        self._indent()
        self._gen.endElement("annotations")
        self._indent()
        self._gen.endDocument()
        if self._path is not None:
            self._file.close()
            os.replace(self._partial, self._path)
            logger.debug("wrote %s (%d tracks)", self._path, self._track_count)
        else:
            self._file.flush()

    def abort(self) -> None:
        """Drop a partially written file (path targets only)."""
        if self._closed:
            return
        self._closed = True
        if self._path is not None:
            self._file.close()
            os.unlink(self._partial)

    def __enter__(self) -> CVATXMLWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    # -- internals --------------------------------------------------------

    def _indent(self) -> None:
        self._gen.ignorableWhitespace("\n" + "  " * self._level)

    def _write_element(self, element: Element) -> None:
        tag, attrs, attributes, children = element
        self._indent()
        self._gen.startElement(tag, dict(attrs))
        self._level += 1
        for child in children:
            self._write_element(child)
        for name, value in attributes:
            self._indent()
            self._gen.startElement("attribute", {"name": name})
            self._gen.characters(value)
            self._gen.endElement("attribute")
        self._level -= 1
        self._indent()
        self._gen.endElement(tag)

    def _write_pairs(self, pairs: list[tuple[str, Any]]) -> None:
        self._level += 1
        for key, value in pairs:
            self._indent()
            self._gen.startElement(key, {})
            if isinstance(value, list):
                self._write_pairs(value)
                self._indent()
            else:
                self._gen.characters(value)
            self._gen.endElement(key)
        self._level -= 1


def _meta_pairs(node: Mapping[str, Any], where: str) -> list[tuple[str, Any]]:
    """Validate a meta dict into nested ``(tag, text | [pairs])`` lists."""
    pairs: list[tuple[str, Any]] = []
    for key, value in node.items():
        path = f"{where}.{key}"
        if not isinstance(key, str) or not re.fullmatch(r"[A-Za-z_][\w.-]*", key):
            raise CVATXMLError(f"{where}: {key!r} is not a valid XML element name")
        if isinstance(value, Mapping):
            pairs.append((key, _meta_pairs(value, path)))
        elif key == "values" and isinstance(value, (list, tuple)):
            pairs.append((key, _text("\n".join(str(v) for v in value), path)))
        elif isinstance(value, (list, tuple)):
            item_tag = LIST_ITEM_TAG.get(key)
            if item_tag is None:
                raise CVATXMLError(f"{path}: lists are only allowed for {sorted(LIST_ITEM_TAG)}")
            items = []
            for i, item in enumerate(value):
                if not isinstance(item, Mapping):
                    raise CVATXMLError(f"{path}[{i}]: expected a dict")
                items.append((item_tag, _meta_pairs(item, f"{path}[{i}]")))
            pairs.append((key, items))
        else:
            pairs.append((key, _text(to_text(value, path), path)))
    return pairs
