"""The ``<meta>`` block: a nested dict mirroring CVAT's XML, and builders for it.

Read meta keeps CVAT's element order and text, with two conveniences for label
specs: an attribute's ``values`` become a list of strings and ``mutable`` a
bool. Elements that CVAT repeats (``labels``, ``attributes``, ``segments``,
``tasks``) become lists; other elements with children become dicts; leaves
are strings. The writer accepts the same shape, so read -> write is lossless.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from labelloop.cvat.xml.errors import CVATXMLError

#: Container element -> name of its repeated child element.
LIST_ITEM_TAG = {
    "labels": "label",
    "attributes": "attribute",
    "segments": "segment",
    "tasks": "task",
}
#: Where the label specs live, by export kind (task, project, job).
META_ROOTS = ("task", "project", "job")
#: Label types CVAT accepts in a label spec.
LABEL_TYPES = (
    "any",
    "rectangle",
    "polygon",
    "polyline",
    "points",
    "ellipse",
    "cuboid",
    "mask",
    "skeleton",
    "tag",
)
_INPUT_TYPES = ("select", "radio", "checkbox", "number", "text")


def finish_node(tag: str, children: list[tuple[str, Any]], text: str) -> Any:
    """The value of one parsed meta element from its children and text."""
    if tag in LIST_ITEM_TAG:
        return [value for _, value in children]
    if children:
        return dict(children)
    return text


def normalize_labels(meta: dict[str, Any]) -> dict[str, Any]:
    """Turn label-spec attribute ``values``/``mutable`` text into list/bool, in place."""
    for label in meta_labels(meta):
        attributes = label.get("attributes")
        if not isinstance(attributes, list):
            continue
        for attribute in attributes:
            if not isinstance(attribute, dict):
                continue
            if isinstance(attribute.get("values"), str):
                text = attribute["values"]
                attribute["values"] = text.split("\n") if text else []
            if attribute.get("mutable") in ("True", "False"):
                attribute["mutable"] = attribute["mutable"] == "True"
    return meta


def meta_labels(meta: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The label specs of a meta dict (task, project or job export); ``[]`` if none."""
    for root in META_ROOTS:
        node = meta.get(root)
        if isinstance(node, dict) and isinstance(node.get("labels"), list):
            return [label for label in node["labels"] if isinstance(label, dict)]
    return []


def immutable_attributes(meta: Mapping[str, Any]) -> dict[str, set[str]]:
    """Label name -> names of its attributes declared immutable (per-track) in ``meta``."""
    out: dict[str, set[str]] = {}
    for label in meta_labels(meta):
        names = {
            a["name"]
            for a in label.get("attributes") or []
            if isinstance(a, dict) and a.get("mutable") is False and "name" in a
        }
        if names:
            out[str(label.get("name"))] = names
    return out


def to_text(value: Any, where: str) -> str:
    """A meta leaf as CVAT spells it: ``None`` -> ``""``, bools ``True``/``False``."""
    if value is None:
        return ""
    if isinstance(value, (str, bool, int, float)):
        return str(value)
    raise CVATXMLError(
        f"meta {where}: expected text, a number or a bool, got {type(value).__name__}"
    )


def attribute_spec(
    name: str,
    *,
    input_type: str = "text",
    values: Sequence[str] = (),
    default_value: str | None = None,
    mutable: bool = True,
) -> dict[str, Any]:
    """A label-spec attribute in CVAT's element order."""
    if input_type not in _INPUT_TYPES:
        raise CVATXMLError(f"attribute {name!r}: input_type must be one of {_INPUT_TYPES}")
    values = [str(v) for v in values]
    if default_value is None:
        default_value = values[0] if values else ""
    return {
        "name": name,
        "mutable": bool(mutable),
        "input_type": input_type,
        "default_value": str(default_value),
        "values": values,
    }


def label_spec(
    name: str,
    *,
    type: str = "any",
    attributes: Iterable[Mapping[str, Any]] = (),
    color: str = "",
    parent: str | None = None,
) -> dict[str, Any]:
    """A label spec in CVAT's element order (``name``, ``color``, ``type``, ...)."""
    if type not in LABEL_TYPES:
        raise CVATXMLError(f"label {name!r}: type must be one of {LABEL_TYPES}, not {type!r}")
    spec: dict[str, Any] = {
        "name": name,
        "color": color,
        "type": type,
        "attributes": [dict(a) for a in attributes],
    }
    if parent is not None:
        spec["parent"] = parent
    return spec


def _now() -> str:
    return str(datetime.now(timezone.utc).astimezone())


def task_meta(
    *,
    name: str,
    labels: Iterable[Mapping[str, Any]],
    size: int,
    mode: str = "annotation",
    task_id: int = 0,
    subset: str = "default",
    original_size: tuple[int, int] | None = None,
    source: str | None = None,
) -> dict[str, Any]:
    """A task ``<meta>`` dict laid out as CVAT's exporter writes it.

    ``mode`` is ``"annotation"`` for image tasks and ``"interpolation"`` for
    video; ``original_size`` is ``(width, height)`` of the video frames.
    """
    if mode not in ("annotation", "interpolation"):
        raise CVATXMLError(f"mode must be 'annotation' or 'interpolation', not {mode!r}")
    if size < 0:
        raise CVATXMLError(f"size must be >= 0, got {size}")
    now = _now()
    task: dict[str, Any] = {
        "id": task_id,
        "name": name,
        "size": size,
        "mode": mode,
        "overlap": 0,
        "bugtracker": "",
        "created": now,
        "updated": now,
        "subset": subset,
        "start_frame": 0,
        "stop_frame": max(size - 1, 0),
        "frame_filter": "",
        "segments": [{"id": 0, "start": 0, "stop": max(size - 1, 0), "url": ""}],
        "owner": "",
        "assignee": "",
        "labels": [dict(label) for label in labels],
    }
    if original_size is not None:
        task["original_size"] = {"width": original_size[0], "height": original_size[1]}
    if source is not None:
        task["source"] = source
    return {"task": task, "dumped": now}


def project_meta(
    *,
    name: str,
    labels: Iterable[Mapping[str, Any]],
    tasks: Sequence[tuple[str, int]],
) -> dict[str, Any]:
    """A project ``<meta>`` dict as CVAT writes it for a project export.

    ``tasks`` lists ``(subset, size)`` per task; task ids are 1, 2, ... in
    that order (images refer to them by ``task_id``).
    """
    task_metas = []
    for task_id, (subset, size) in enumerate(tasks, 1):
        task = task_meta(name=f"{name} {subset}", labels=[], size=size, task_id=task_id)["task"]
        task["subset"] = subset
        del task["labels"]
        task_metas.append(task)
    now = _now()
    project = {
        "id": 0,
        "name": name,
        "bugtracker": "",
        "created": now,
        "updated": now,
        "tasks": task_metas,
        "subsets": "\n".join(subset for subset, _ in tasks),
        "owner": "",
        "assignee": "",
        "labels": [dict(label) for label in labels],
    }
    return {"project": project, "dumped": now}
