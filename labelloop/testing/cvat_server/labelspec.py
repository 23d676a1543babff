"""Labels and attribute specs: storing them and rendering them as CVAT does.

Used by projects and tasks (which own labels), by ``/api/labels`` and by the
annotation validator (which needs every label's attribute specs by id).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from labelloop.testing.cvat_server.store import Store, dumps
from labelloop.testing.cvat_server.web import ApiError, text

INPUT_TYPES = ("checkbox", "radio", "number", "text", "select")
LABEL_TYPES = (
    "any",
    "cuboid",
    "ellipse",
    "mask",
    "points",
    "polygon",
    "polyline",
    "rectangle",
    "skeleton",
    "tag",
)
_PALETTE = ("#33ddff", "#fa3253", "#34d1b7", "#ff007c", "#ddff33", "#24b353", "#b83df5", "#66ff66")


@dataclass
class LabelSpec:
    id: int
    name: str
    type: str
    parent_id: int | None
    attributes: dict[int, dict[str, Any]] = field(default_factory=dict)
    sublabels: set[int] = field(default_factory=set)


def owner_filter(task_row: Any) -> tuple[str, int]:
    """Which labels a task uses: its project's if it has one, else its own."""
    if task_row["project_id"] is not None:
        return "project_id", task_row["project_id"]
    return "task_id", task_row["id"]


def load_specs(store: Store, column: str, owner_id: int) -> dict[int, LabelSpec]:
    rows = store.all(f"SELECT * FROM labels WHERE {column} = ? ORDER BY id", (owner_id,))
    specs = {
        row["id"]: LabelSpec(row["id"], row["name"], row["type"], row["parent_id"]) for row in rows
    }
    if not specs:
        return specs
    marks = ",".join("?" for _ in specs)
    for attr in store.all(f"SELECT * FROM attributes WHERE label_id IN ({marks})", list(specs)):
        specs[attr["label_id"]].attributes[attr["id"]] = {
            "mutable": bool(attr["mutable"]),
            "input_type": attr["input_type"],
            "values": json.loads(attr["vals"]),
        }
    for spec in specs.values():
        if spec.parent_id in specs:
            specs[spec.parent_id].sublabels.add(spec.id)
    return specs


def render_label(store: Store, row: Any, *, nested: bool = False) -> dict[str, Any]:
    """A label as ``/api/labels`` shows it; ``nested`` gives the Sublabel form used
    inside a skeleton's ``sublabels``."""
    attrs = store.all("SELECT * FROM attributes WHERE label_id = ? ORDER BY id", (row["id"],))
    children = store.all("SELECT * FROM labels WHERE parent_id = ? ORDER BY id", (row["id"],))
    body = {
        "id": row["id"],
        "name": row["name"],
        "color": row["color"],
        "attributes": [render_attribute(attr) for attr in attrs],
        "type": row["type"],
        "has_parent": row["parent_id"] is not None,
    }
    if nested:
        return body
    if row["type"] == "skeleton":  # as CVAT: only skeletons carry an svg
        body["svg"] = row["svg"]
    body["sublabels"] = [render_label(store, child, nested=True) for child in children]
    # CVAT drops whichever of project_id / task_id the label does not belong to
    for owner in ("project_id", "task_id"):
        if row[owner]:
            body[owner] = row[owner]
    body["parent_id"] = row["parent_id"]
    return body


def render_attribute(attr: Any) -> dict[str, Any]:
    return {
        "id": attr["id"],
        "name": attr["name"],
        "mutable": bool(attr["mutable"]),
        "input_type": attr["input_type"],
        "default_value": attr["default_value"],
        "values": json.loads(attr["vals"]),
    }


def _check_attribute(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ApiError(400, {where: ["Invalid data. Expected a dictionary."]})
    errors: dict[str, list[str]] = {}
    for key in ("name", "mutable", "input_type", "values"):
        if key not in raw:
            errors[key] = ["This field is required."]
    if errors:
        raise ApiError(400, {where: [errors]})
    if raw["input_type"] not in INPUT_TYPES:
        raise ApiError(
            400, {where: [{"input_type": [f'"{raw["input_type"]}" is not a valid choice.']}]}
        )
    values = raw["values"]
    if not isinstance(values, list):
        raise ApiError(400, {where: [{"values": ["Expected a list of items."]}]})
    # CVAT stores values joined by newlines and splits them on read: [] reads back as [""]
    values = "\n".join(str(v) for v in values).split("\n")
    default = raw.get("default_value", "")
    if default is None:
        raise ApiError(400, {where: [{"default_value": ["This field may not be null."]}]})
    # CVAT 2.73 checks a default against the values only when a label update changes it
    return {
        "name": text(raw["name"], "name"),
        "mutable": 1 if raw["mutable"] in (True, "true", "True", 1) else 0,
        "input_type": raw["input_type"],
        "default_value": str(default),
        "vals": dumps(values),
    }


def save_labels(
    store: Store,
    labels: Any,
    *,
    project_id: int | None = None,
    task_id: int | None = None,
) -> None:
    """Create, update or delete labels from a write request's ``labels`` list.

    Items with an ``id`` update that label (``deleted: true`` removes it);
    items without create one. Duplicate names are refused as CVAT does.
    """
    if not isinstance(labels, list):
        raise ApiError(400, {"labels": ['Expected a list of items but got type "dict".']})
    column, owner = ("project_id", project_id) if project_id is not None else ("task_id", task_id)
    # updates may name any label of the owner (sublabels too); names are unique per level
    existing = {
        row["id"]: row for row in store.all(f"SELECT * FROM labels WHERE {column} = ?", (owner,))
    }
    names = {row["name"] for row in existing.values() if row["parent_id"] is None}
    with store.tx():
        for raw in labels:
            if not isinstance(raw, dict) or not str(raw.get("name", "") or raw.get("id", "")):
                raise ApiError(400, {"labels": [{"name": ["This field is required."]}]})
            label_id = raw.get("id")
            if label_id is not None:
                if label_id not in existing:
                    raise ApiError(400, {"labels": [f"Label with id #{label_id} does not exist"]})
                if raw.get("deleted"):
                    _delete_label(store, label_id)
                    continue
                _update_label(store, existing[label_id], raw)
                continue
            name = text(raw["name"], "name")
            if name in names:
                raise ApiError(400, ["All label names must be unique"])  # CVAT's words
            names.add(name)
            _insert_label(store, raw, column, owner, None, len(names))


def _insert_label(
    store: Store, raw: dict[str, Any], column: str, owner: int, parent: int | None, n: int
) -> int:
    label_type = raw.get("type") or "any"
    if label_type not in LABEL_TYPES:
        raise ApiError(400, {"labels": [{"type": [f'"{label_type}" is not a valid choice.']}]})
    attributes = raw.get("attributes") or []
    checked = [_nested(attr) for attr in attributes]
    if len({attr["name"] for attr in checked}) != len(checked):
        raise ApiError(400, {"labels": [f"Attribute names of '{raw['name']}' must be unique"]})
    label_id = store.insert(
        "labels",
        {
            "name": text(raw["name"], "name"),
            "color": raw.get("color") or _PALETTE[n % len(_PALETTE)],
            "type": label_type,
            "svg": raw.get("svg") or "",
            column: owner,
            "parent_id": parent,
        },
    )
    for attr in checked:
        store.insert("attributes", {"label_id": label_id, **attr})
    for i, sub in enumerate(raw.get("sublabels") or []):
        _insert_label(store, sub, column, owner, label_id, n + i + 1)
    return label_id


def _update_label(store: Store, row: Any, raw: dict[str, Any]) -> None:
    changes = {key: raw[key] for key in ("name", "color", "type", "svg") if key in raw}
    store.update("labels", row["id"], changes)
    current = {
        attr["id"]: attr
        for attr in store.all("SELECT * FROM attributes WHERE label_id = ?", (row["id"],))
    }
    for attr in raw.get("attributes") or []:
        if isinstance(attr, dict) and attr.get("id") in current:
            if attr.get("deleted"):
                store.execute("DELETE FROM attributes WHERE id = ?", (attr["id"],))
                continue
            merged = {**_render_raw(current[attr["id"]]), **attr}
            checked = _nested(merged)
            if checked["default_value"] != current[attr["id"]]["default_value"]:
                _check_default(checked)
            store.update("attributes", attr["id"], checked)
        elif isinstance(attr, dict) and attr.get("id") is not None:
            raise ApiError(400, {"attributes": [f"Attribute #{attr['id']} does not exist"]})
        else:
            store.insert("attributes", {"label_id": row["id"], **_nested(attr)})


def _nested(raw: Any) -> dict[str, Any]:
    """:func:`_check_attribute` with its errors nested in the label's, as DRF does."""
    try:
        return _check_attribute(raw, "attributes")
    except ApiError as exc:
        raise ApiError(400, {"labels": [exc.detail]}) from None


def _check_default(attr: dict[str, Any]) -> None:
    """CVAT 2.73 checks a changed default against the values (only on update)."""
    value, values, kind = attr["default_value"], json.loads(attr["vals"]), attr["input_type"]
    if kind == "text":
        return
    if kind == "checkbox":
        valid = value.lower() in ("true", "false")
    elif kind == "number":
        try:
            valid = float(values[0]) <= float(value) <= float(values[1])
        except (IndexError, ValueError):
            valid = False
    else:
        valid = value in values
    if not valid:
        raise ApiError(400, ['Attribute field "default_value" is invalid for attribute input type'])


def _render_raw(attr: Any) -> dict[str, Any]:
    rendered = render_attribute(attr)
    rendered.pop("id")
    return rendered


def _delete_label(store: Store, label_id: int) -> None:
    children = [
        row["id"] for row in store.all("SELECT id FROM labels WHERE parent_id = ?", (label_id,))
    ]
    for child in children:
        _delete_label(store, child)
    store.execute("DELETE FROM attributes WHERE label_id = ?", (label_id,))
    store.execute("DELETE FROM labels WHERE id = ?", (label_id,))
    # as in CVAT, annotations of a deleted label go with it
    store.execute("DELETE FROM objects WHERE json_extract(body, '$.label_id') = ?", (label_id,))


def delete_owned_labels(store: Store, column: str, owner: int) -> None:
    ids = [row["id"] for row in store.all(f"SELECT id FROM labels WHERE {column} = ?", (owner,))]
    with store.tx() as conn:
        for label_id in ids:
            conn.execute("DELETE FROM attributes WHERE label_id = ?", (label_id,))
        conn.execute(f"DELETE FROM labels WHERE {column} = ?", (owner,))
