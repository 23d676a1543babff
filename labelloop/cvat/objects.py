"""Server objects <-> the CVAT object model, and server objects -> labels.

A job's or task's objects arrive with server label and attribute ids;
:func:`object_model` turns one into the CVAT object model (names, and the
label id it carries as provenance), and :func:`to_wire` is its inverse for
uploads (:func:`server_ids` reads the ids the server gave back); :func:`assign_ids` gives objects without
a known label id (drawn, copy-pasted, split) ids derived from their server
identity, :func:`convert_objects` runs the converters, and
:func:`restore_types` gives text attributes back the types they had.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from labelloop.annotation.diff import loaded_id
from labelloop.annotation.schema import RETURN_TYPES
from labelloop.core.ids import is_id
from labelloop.core.labels import Classification, Detection, Keypoint, Label, Polyline
from labelloop.cvat import convert
from labelloop.cvat.convert import scalar, segmentation
from labelloop.cvat.convert.attributes import coerce_text
from labelloop.cvat.convert.common import UnsupportedObjectError
from labelloop.cvat.resources.labels import LabelMaps
from labelloop.cvat.schema import ID_ATTR, CVATSchema, FieldLabels, build_schema

#: Download container kind of each label class (list forms).
KIND_OF_CLASS: dict[type, str] = {
    Classification: "classifications",
    Detection: "detections",
    Polyline: "polylines",
    Keypoint: "keypoints",
}
#: Types whose labels CVAT cannot hold exactly (polygon ``filled``, NaN keypoints).
_SHAPE_MEMORY_TYPES = ("polyline", "polylines", "polygon", "polygons", "keypoint", "keypoints")


def run_schema(config: Any) -> CVATSchema:
    """The run's CVAT schema, rebuilt exactly as at upload time.

    Text attributes are decoded as text; :func:`restore_types` then parses them,
    so the converters never coerce.
    """
    return build_schema(
        config.label_schema or {},
        occluded_attr=config.occluded_attr,
        group_id_attr=config.group_id_attr,
        coerce_text_attrs=False,
    )


def server_object_id(kind: str, object_id: Any, source: str, *where: Any) -> str:
    """The label id of a server object that carries no known one: derived from its task's
    ``source`` (:func:`~labelloop.cvat.read.task_source`: server and task id) and its
    server id (and ``where``, e.g. a frame), so every load gives it the same id and two
    servers' objects never share one."""
    return loaded_id(f"{kind}{object_id}", source, *where)


def named_attributes(attributes: Any, maps: LabelMaps) -> list[dict[str, Any]]:
    """Server attributes (``spec_id``, ``value``) by name; unknown spec ids are left out."""
    return [
        {"name": maps.attr_names[a["spec_id"]], "value": a.get("value")}
        for a in attributes or ()
        if a.get("spec_id") in maps.attr_names
    ]


def wire_attributes(attributes: Any, attr_ids: dict[str, int]) -> list[dict[str, Any]]:
    """Named attributes with the server's spec ids (``attr_ids`` of one label); names the
    label does not define are left out. The inverse of :func:`named_attributes`."""
    return [
        {"spec_id": attr_ids[a["name"]], "value": a["value"]}
        for a in attributes or ()
        if a["name"] in attr_ids
    ]


def object_model(
    obj: dict[str, Any],
    spec: FieldLabels,
    cls: str | None,
    maps: LabelMaps,
    known_ids: dict[int, str],
) -> dict[str, Any]:
    """A server object in the CVAT object model (names, not ids) with its label id
    (the ``label_id`` attribute, else the one the run recorded for its server id)."""
    model = {k: v for k, v in obj.items() if k not in ("label_id", "attributes")}
    model["label"] = spec.name if cls is None else cls
    attrs = named_attributes(obj.get("attributes"), maps)
    if not spec.is_scalar:
        current = next((a for a in attrs if a["name"] == ID_ATTR), None)
        if current is None or not is_id(current["value"]):
            fallback = known_ids.get(int(obj.get("id", -1)))
            attrs = [a for a in attrs if a["name"] != ID_ATTR]
            if fallback:
                attrs.insert(0, {"name": ID_ATTR, "value": fallback})
    model["attributes"] = attrs
    return model


def to_wire(obj: dict[str, Any], spec: FieldLabels, maps: LabelMaps) -> dict[str, Any]:
    """An object-model dict with the server's label and attribute spec ids."""
    cls = obj["label"]
    cvat_name = spec.name if spec.scalar_value_label else spec.cvat_names.get(cls, cls)
    try:
        label_id = maps.label_ids[cvat_name]
    except KeyError:
        raise ValueError(
            f"The CVAT task has no label {cvat_name!r} for class {cls!r} of field "
            f"'{spec.name}'; add the class to the project or the label schema"
        ) from None
    attr_ids = maps.attr_ids.get(cvat_name, {})
    wire = {k: v for k, v in obj.items() if k not in ("label", "attributes", "elements")}
    wire["label_id"] = label_id
    wire["attributes"] = wire_attributes(obj.get("attributes"), attr_ids)
    return wire


def server_ids(saved: dict[str, Any], maps: LabelMaps) -> dict[str, dict[int, str]]:
    """``{kind: {cvat object id: label id}}`` from the server's answer to the ``PUT``."""
    id_specs = {spec_id for spec_id, name in maps.attr_names.items() if name == ID_ATTR}
    out: dict[str, dict[int, str]] = {"tags": {}, "shapes": {}, "tracks": {}}
    for kind in out:
        for obj in saved.get(kind) or ():
            for attr in obj.get("attributes") or ():
                if attr.get("spec_id") in id_specs and attr.get("value") and "id" in obj:
                    out[kind][int(obj["id"])] = attr["value"]
    return out


def label_id_of(model: dict[str, Any]) -> str | None:
    """The ``label_id`` an object model carries."""
    return next((a["value"] for a in model["attributes"] if a["name"] == ID_ATTR), None)


def set_label_id(model: dict[str, Any], label_id: str) -> None:
    """Make ``label_id`` the object's provenance."""
    model["attributes"] = [a for a in model["attributes"] if a["name"] != ID_ATTR]
    model["attributes"].insert(0, {"name": ID_ATTR, "value": label_id})


def assign_ids(
    objects: list[tuple[str, dict[str, Any], dict[str, Any]]],
    known_ids: dict[str, dict[int, str]],
    source: str,
) -> None:
    """Give every ``(kind, server object, model)`` a label id, the same on every load.

    Objects without one (drawn in CVAT) get :func:`server_object_id`. Several
    objects carrying one label id (copy-paste keeps the original's ``label_id``)
    keep it on the objects the run recorded for it (else on the oldest); the
    others get ids derived from their own server identity.
    """
    holders: dict[str, list[tuple[str, dict[str, Any], dict[str, Any]]]] = defaultdict(list)
    for kind, obj, model in objects:
        label_id = label_id_of(model)
        if label_id is None:
            set_label_id(model, server_object_id(kind, obj.get("id"), source))
        else:
            holders[label_id].append((kind, obj, model))
    for label_id, group in holders.items():
        if len(group) < 2:
            continue
        recorded = {
            i
            for i, (kind, obj, _) in enumerate(group)
            if known_ids.get(kind, {}).get(int(obj.get("id", -1))) == label_id
        }  # the parts of one uploaded polyline all keep the id
        if not recorded:
            recorded = {min(range(len(group)), key=lambda i: int(group[i][1].get("id") or 0))}
        for i, (kind, obj, model) in enumerate(group):
            if i not in recorded:
                set_label_id(model, server_object_id(kind, obj.get("id"), source))


def convert_objects(
    spec: FieldLabels,
    by_class: dict[str | None, list[dict[str, Any]]],
    size: tuple[int, int],
    problems: Counter[str],
    templates: dict[str, Label] | None = None,
) -> dict[str, Any]:
    """``{return_type: labels}`` for one field at one sample or frame.

    ``templates`` (the field's current labels by id) restore what CVAT cannot
    hold: whether a polygon was ``filled`` and where NaN keypoints sat.
    """
    out: dict[str, list[Label]] = defaultdict(list)
    expected = RETURN_TYPES[spec.label_type]
    if spec.label_type == "segmentation":
        masks = [o for objs in by_class.values() for o in objs if o.get("type") == "mask"]
        if masks:
            out[expected].append(segmentation.from_cvat(masks, size, spec.options(None)))
        by_class = {c: [o for o in objs if o.get("type") != "mask"] for c, objs in by_class.items()}
    for cls, objects in by_class.items():
        supported = []
        for obj in objects:
            if obj.get("type", "tag") in ("ellipse", "cuboid"):
                problems[f"CVAT {obj['type']} shapes have no labelloop label kind"] += 1
            else:
                supported.append(obj)
        if not supported:
            continue
        try:
            labels = convert.from_cvat_objects(supported, size, spec.options(cls), templates)
        except UnsupportedObjectError as err:
            problems[str(err)] += len(supported)
            continue
        for label in labels:
            out[kind_of(label, expected)].append(label)
    return dict(out)


def kind_of(label: Label, expected: str) -> str:
    """The return type a downloaded label belongs to (``expected`` for the field's own kind)."""
    kind = KIND_OF_CLASS.get(type(label), expected)
    return expected if kind == "classifications" and expected == "classification" else kind


def needs_templates(spec: FieldLabels) -> bool:
    """Whether downloads of the field need its current values (see :func:`restore_types`)."""
    if spec.is_scalar or spec.label_type in _SHAPE_MEMORY_TYPES:
        return True
    return any(
        attr.get("type", "text") == "text"
        for attrs in spec.attributes.values()
        for attr in attrs.values()
    )


def typed(text: str, like: Any, coerce: bool) -> Any:
    """``text`` parsed as ``like``'s type when it was not a string; else by ``coerce``."""
    if like is None:
        return coerce_text(text) if coerce else text
    if isinstance(like, str):
        return text
    parsed = coerce_text(text)
    if isinstance(like, float) and isinstance(parsed, int) and not isinstance(parsed, bool):
        return float(parsed)
    return parsed if type(parsed) is type(like) else text


def restore_types(label: Label, spec: FieldLabels, template: Label | None, coerce: bool) -> None:
    """Parse text attributes back into the types the label had before (strings stay strings,
    so ``"007"`` is never ``7``; ``""`` stays ``""``, which CVAT cannot tell from unset);
    attributes new to a label follow ``coerce_text_attrs``."""
    specs = spec.attributes.get(label.get_field("label") or "", {})
    for name, attr in specs.items():
        value = label.get_field(name)
        like = template.get_field(name) if template is not None else None
        if attr.get("type", "text") == "text" and isinstance(value, str):
            label[name] = typed(value, like, coerce)
        elif value is None and like == "" and isinstance(like, str):
            label[name] = ""


def scalar_value(
    spec: FieldLabels, by_class: dict[str | None, list[dict]], current: Any, coerce: bool
) -> Any:
    """The scalar a sample's (or frame's) tag holds, typed like the classes or ``current``."""
    objects = [o for objs in by_class.values() for o in objs if "type" not in o]
    if not objects:
        return None
    classes = spec.scalar_classes or None
    value = scalar.from_cvat(objects[0], None, spec.options(None), field=spec.name, classes=classes)
    if isinstance(value, str) and not classes:
        return typed(value, current, coerce)
    return value
