"""Streaming reader of "CVAT for images 1.1" and "CVAT for video 1.1" XML.

:func:`iter_cvat_xml` yields ``("meta", dict)`` once, then one
``("image", dict)`` per ``<image>`` and one ``("track", dict)`` per
``<track>``, as soon as each element closes; nothing else of the file is kept,
so memory stays bounded by the largest single image or track.

Records follow CVAT's object model (``docs/architecture.md``)::

    image = {"id": int, "name": str, "subset": str | None, "task_id": int | None,
             "width": int | None, "height": int | None,
             "shapes": [shape, ...], "tags": [tag, ...]}        # frame = image id
    track = {"id": int, "label": str, "group": int, "source": str,
             "task_id": int | None, "subset": str | None,
             "attributes": [...],                                  # immutable ones
             "shapes": [shape + {"keyframe": bool}, ...]}

Attributes that the meta's label specs declare immutable are lifted from a
track's shapes into the track; everything else stays where the file has it.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from labelloop.cvat.xml.errors import CVATXMLError
from labelloop.cvat.xml.geometry import TYPE_OF_TAG, parse_number, parse_points
from labelloop.cvat.xml.meta import finish_node, immutable_attributes, normalize_labels
from labelloop.cvat.xml.safeparse import CHUNK_SIZE, feed, make_parser, source_name

logger = logging.getLogger(__name__)

Record = tuple[str, dict[str, Any]]

_TRUE = ("1", "true", "True")
_FALSE = ("0", "false", "False")


def _flag(attrs: dict[str, str], key: str, where: str) -> bool:
    value = attrs.get(key, "0")
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise CVATXMLError(f"{where}: attribute '{key}'={value!r} must be 0 or 1")


def _int(attrs: dict[str, str], key: str, where: str, default: int | None = None) -> int | None:
    """Integer XML attribute ``key``; ``default`` when absent."""
    return parse_number(attrs, key, where, int) if key in attrs else default


def _label(attrs: dict[str, str], where: str) -> str:
    label = attrs.get("label")
    if not label:
        raise CVATXMLError(f"{where}: missing attribute 'label'")
    return label


class _Handler:
    """Expat callbacks turning elements into finished records."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.parser: Any = None
        self.ready: list[Record] = []
        self.depth = 0
        self.skip_depth: int | None = None
        self.unknown: Counter[str] = Counter()
        self.text: list[str] | None = None
        self.attribute_name = ""
        self.meta_stack: list[tuple[str, list[tuple[str, Any]], list[str]]] | None = None
        self.immutable: dict[str, set[str]] = {}
        self.container: dict[str, Any] | None = None
        self.kind = ""
        self.objects: list[dict[str, Any]] = []
        self.seen_meta = False

    def where(self, tag: str) -> str:
        return f"{self.name}: line {self.parser.CurrentLineNumber}: <{tag}>"

    def skip(self, tag: str) -> None:
        self.unknown[tag] += 1
        self.skip_depth = self.depth

    # -- start ------------------------------------------------------------

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        if self.skip_depth is not None:
            return
        if self.depth == 1:
            if tag != "annotations":
                raise CVATXMLError(
                    f"{self.name}: the root element is <{tag}>, expected <annotations>: "
                    "not a CVAT for images/video XML file"
                )
            return
        if self.meta_stack is not None:
            self.meta_stack.append((tag, [], []))
        elif self.depth == 2:
            self.start_top(tag, attrs)
        elif tag == "attribute":
            if not self.objects or "name" not in attrs:
                raise CVATXMLError(f"{self.where(tag)} must be inside a shape and have a 'name'")
            self.attribute_name = attrs["name"]
            self.text = []
        elif tag in TYPE_OF_TAG or tag == "tag":
            self.objects.append(self.start_object(tag, attrs))
        else:
            self.skip(tag)

    def start_top(self, tag: str, attrs: dict[str, str]) -> None:
        where = self.where(tag)
        if tag == "version":
            self.text = []
        elif tag == "meta":
            self.meta_stack = [(tag, [], [])]
        elif tag == "image":
            self.kind = "image"
            self.container = {
                "id": parse_number(attrs, "id", where, int),
                "name": attrs.get("name") or "",
                "subset": attrs.get("subset"),
                "task_id": _int(attrs, "task_id", where),
                "width": _int(attrs, "width", where),
                "height": _int(attrs, "height", where),
                "shapes": [],
                "tags": [],
            }
            if not self.container["name"]:
                raise CVATXMLError(f"{where}: missing attribute 'name'")
        elif tag == "track":
            self.kind = "track"
            self.container = {
                "id": parse_number(attrs, "id", where, int),
                "label": _label(attrs, where),
                "group": _int(attrs, "group_id", where, 0),
                "source": attrs.get("source", "manual"),
                "task_id": _int(attrs, "task_id", where),
                "subset": attrs.get("subset"),
                "attributes": [],
                "shapes": [],
            }
        else:
            self.skip(tag)

    def start_object(self, tag: str, attrs: dict[str, str]) -> dict[str, Any]:
        where = self.where(tag)
        parent = self.objects[-1] if self.objects else None
        container = self.container
        assert container is not None
        if parent is not None and (parent.get("type") != "skeleton" or tag in ("skeleton", "tag")):
            raise CVATXMLError(f"{where} cannot be nested in <{parent.get('type', 'tag')}>")
        in_track = self.kind == "track"
        if tag == "tag":
            if in_track:
                raise CVATXMLError(f"{where}: tags cannot be part of a track")
            return {
                "label": _label(attrs, where),
                "frame": container["id"],
                "group": _int(attrs, "group_id", where, 0),
                "source": attrs.get("source", "manual"),
                "attributes": [],
            }
        shape_type = TYPE_OF_TAG[tag]
        if parent is not None:
            label = _label(attrs, where)
            frame = parent["frame"]
        elif in_track:
            label = container["label"]
            frame = parse_number(attrs, "frame", where, int)
        else:
            label = _label(attrs, where)
            frame = container["id"]
        shape: dict[str, Any] = {
            "type": shape_type,
            "label": label,
            "frame": frame,
            "points": parse_points(shape_type, attrs, where),
            "rotation": parse_number(attrs, "rotation", where) if "rotation" in attrs else 0.0,
            "occluded": _flag(attrs, "occluded", where),
            "outside": _flag(attrs, "outside", where),
            "z_order": _int(attrs, "z_order", where, 0),
            "group": _int(attrs, "group_id", where, 0) if not in_track else container["group"],
            "source": attrs.get("source", container.get("source", "manual")),
            "attributes": [],
        }
        if in_track:
            shape["keyframe"] = _flag(attrs, "keyframe", where)
        if shape_type == "skeleton":
            shape["elements"] = []
        return shape

    # -- end --------------------------------------------------------------

    def end(self, tag: str) -> None:
        depth = self.depth
        self.depth -= 1
        if self.skip_depth is not None:
            if depth == self.skip_depth:
                self.skip_depth = None
            return
        if self.meta_stack is not None:
            self.end_meta()
        elif depth == 1:
            return
        elif tag == "version" and depth == 2:
            version = "".join(self.text or []).strip()
            self.text = None
            if not version.startswith("1."):
                raise CVATXMLError(
                    f"{self.name}: format version {version!r} is not supported (expected 1.x)"
                )
        elif depth == 2:
            self.end_container()
        elif tag == "attribute":
            self.objects[-1]["attributes"].append(
                {"name": self.attribute_name, "value": "".join(self.text or [])}
            )
            self.text = None
        else:
            self.end_object()

    def end_meta(self) -> None:
        assert self.meta_stack is not None
        tag, children, text = self.meta_stack.pop()
        value = finish_node(tag, children, "".join(text))
        if self.meta_stack:
            self.meta_stack[-1][1].append((tag, value))
            return
        self.meta_stack = None
        meta = normalize_labels(value if isinstance(value, dict) else {})
        self.immutable = immutable_attributes(meta)
        self.seen_meta = True
        self.ready.append(("meta", meta))

    def end_object(self) -> None:
        obj = self.objects.pop()
        container = self.container
        assert container is not None
        if self.objects:
            self.objects[-1]["elements"].append(obj)
        elif "type" not in obj:
            container["tags"].append(obj)
        else:
            container["shapes"].append(obj)

    def end_container(self) -> None:
        container, self.container = self.container, None
        assert container is not None
        if not self.seen_meta:
            self.seen_meta = True
            self.ready.append(("meta", {}))
        if self.kind == "track":
            _lift_track_attributes(container, self.immutable.get(container["label"], set()))
        self.ready.append((self.kind, container))

    def characters(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)
        elif self.meta_stack is not None:
            self.meta_stack[-1][2].append(data)


def _lift_track_attributes(track: dict[str, Any], immutable: set[str]) -> None:
    """Move immutable attributes from a track's shapes (CVAT clones them) to the track."""
    if not immutable or not track["shapes"]:
        return
    first = track["shapes"][0]["attributes"]
    track["attributes"] = [a for a in first if a["name"] in immutable]
    lifted = {(a["name"], a["value"]) for a in track["attributes"]}
    for shape in track["shapes"]:
        shape["attributes"] = [
            a for a in shape["attributes"] if (a["name"], a["value"]) not in lifted
        ]


def iter_cvat_xml(
    source: str | os.PathLike | BinaryIO, *, chunk_size: int = CHUNK_SIZE
) -> Iterator[Record]:
    """Stream the records of a CVAT XML file: meta first, then images and tracks.

    ``source`` is a path or a binary file object. Raises :class:`CVATXMLError`
    on malformed input and :class:`UnsafeXMLError` on entities/external references.
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")
    handler = _Handler(source_name(source))
    parser = make_parser(handler.name, handler.start, handler.end, handler.characters)
    handler.parser = parser
    for _ in feed(source, parser, chunk_size):
        if handler.ready:
            ready, handler.ready = handler.ready, []
            yield from ready
    if not handler.seen_meta:
        yield ("meta", {})
    for tag, count in handler.unknown.items():
        logger.warning("%s: skipped %d unsupported <%s> element(s)", handler.name, count, tag)


@dataclass
class CVATDocument:
    """A whole CVAT XML file in memory (for small files; stream big ones)."""

    meta: dict[str, Any] = field(default_factory=dict)
    images: list[dict[str, Any]] = field(default_factory=list)
    tracks: list[dict[str, Any]] = field(default_factory=list)


def load_cvat_xml(source: str | os.PathLike | BinaryIO) -> CVATDocument:
    """Read a whole CVAT XML file into a :class:`CVATDocument`."""
    doc = CVATDocument()
    for kind, record in iter_cvat_xml(source):
        if kind == "meta":
            doc.meta = record
        elif kind == "image":
            doc.images.append(record)
        else:
            doc.tracks.append(record)
    return doc
