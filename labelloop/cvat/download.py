"""The download flow: every job's annotations -> labels, in the framework's download layout.

Objects are read per job (so annotators' unsaved task-level state never
matters), mapped back from server label/attribute ids to the run's fields,
classes and attribute names, given their label id (the ``label_id`` attribute,
else the task's server-id map), and converted by :mod:`labelloop.cvat.convert`.
Nothing is dropped silently: objects outside the schema, unsupported shapes and
tracks are counted and reported.
"""

from __future__ import annotations

import logging
import math
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from tqdm.auto import tqdm

from labelloop.annotation.diff import derived_id
from labelloop.annotation.schema import RETURN_TYPES
from labelloop.core.ids import is_id, new_id
from labelloop.core.labels import Classification, Detection, Keypoint, Label, Polyline
from labelloop.cvat import convert
from labelloop.cvat.convert import scalar, segmentation
from labelloop.cvat.convert.attributes import coerce_text
from labelloop.cvat.convert.common import UnsupportedObjectError
from labelloop.cvat.errors import CVATNotFound
from labelloop.cvat.resources.labels import LabelMaps
from labelloop.cvat.schema import ID_ATTR, CVATSchema, FieldLabels, build_schema

if TYPE_CHECKING:
    from labelloop.cvat.api import CVATAnnotationAPI
    from labelloop.cvat.backend import CVATBackend
    from labelloop.cvat.results import CVATAnnotationResults

logger = logging.getLogger(__name__)

_KIND_OF_CLASS: dict[type, str] = {
    Classification: "classifications",
    Detection: "detections",
    Polyline: "polylines",
    Keypoint: "keypoints",
}
_PROGRESS_MIN_TASKS = 5
#: Types whose labels CVAT cannot hold exactly (polygon ``filled``, NaN keypoints).
_SHAPE_MEMORY_TYPES = ("polyline", "polylines", "polygon", "polygons", "keypoint", "keypoints")

#: ``{(field, sample_id): {class: [object, ...]}}`` plus each sample's frame size.
Buckets = dict[tuple[str, str], dict[str | None, list[dict[str, Any]]]]


def run_schema(config: Any) -> CVATSchema:
    """The run's CVAT schema, rebuilt exactly as at upload time.

    Text attributes are decoded as text; :func:`_restore_types` then parses them
    (see there), so the converters never coerce.
    """
    return build_schema(
        config.label_schema or {},
        occluded_attr=config.occluded_attr,
        group_id_attr=config.group_id_attr,
        coerce_text_attrs=False,
    )


def download_run(backend: CVATBackend, results: CVATAnnotationResults) -> dict[str, Any]:
    """``{field: {return_type: {sample_id: {label_id: label} | value}}}`` for the run."""
    api: CVATAnnotationAPI = backend.connect_to_api()
    cvat_schema = run_schema(backend.config)
    out: dict[str, Any] = {
        name: {RETURN_TYPES[spec.label_type]: {}} for name, spec in cvat_schema.fields.items()
    }
    problems: Counter[str] = Counter()
    templates, current = _templates(results.samples, cvat_schema)
    coerce = bool(backend.config.coerce_text_attrs)
    show = len(results.task_ids) >= _PROGRESS_MIN_TASKS
    for task_id in tqdm(results.task_ids, desc="Downloading from CVAT", disable=not show):
        try:
            maps = api.labels.task_maps(task_id)
            meta = api.tasks.data_meta(task_id)
            jobs = api.jobs.of_task(task_id)
            raw = [api.jobs.get_annotations(int(job["id"])) for job in jobs]
        except CVATNotFound:
            logger.warning("Skipping task %d, which no longer exists on %s", task_id, api.base_url)
            continue
        sizes = [(int(f["width"]), int(f["height"])) for f in meta.get("frames") or ()]
        buckets, frame_sizes = _bucket(raw, task_id, results, cvat_schema, maps, sizes, problems)
        for (field_name, sample_id), by_class in buckets.items():
            spec = cvat_schema.fields[field_name]
            size = frame_sizes[sample_id]
            field_templates = templates.get(field_name, {})
            if spec.is_scalar:
                value = _scalar_value(
                    spec, by_class, current.get(field_name, {}).get(sample_id), coerce
                )
                if value is not None:
                    out[field_name].setdefault("scalar", {})[sample_id] = value
                continue
            converted = _convert(spec, by_class, size, problems, field_templates)
            for return_type, labels in converted.items():
                target = out[field_name].setdefault(return_type, {})
                for label in labels:
                    _restore_types(label, spec, field_templates.get(label.id), coerce)
                per_sample = target.setdefault(sample_id, {})
                for label in labels:
                    if label.id in per_sample:  # copy/paste in CVAT duplicates ids
                        label["id"] = new_id()
                    per_sample[label.id] = label
    for problem, count in problems.items():
        logger.warning("%d CVAT object(s) not loaded: %s", count, problem)
    return out


def _bucket(
    raw: list[dict[str, Any]],
    task_id: int,
    results: CVATAnnotationResults,
    cvat_schema: CVATSchema,
    maps: LabelMaps,
    sizes: list[tuple[int, int]],
    problems: Counter[str],
) -> tuple[Buckets, dict[str, tuple[int, int]]]:
    """Group a task's objects by (field, sample) and class, in the object model."""
    frames = results.frame_id_map.get(task_id, {})
    known_ids = results.server_id_map.get(task_id, {})
    buckets: Buckets = defaultdict(lambda: defaultdict(list))
    frame_sizes: dict[str, tuple[int, int]] = {}
    seen: set[tuple[str, int]] = set()
    outside = 0
    for job in raw:
        if job.get("tracks"):
            problems["tracks in an image task (draw shapes, not tracks)"] += len(job["tracks"])
        for kind in ("tags", "shapes"):
            for obj in job.get(kind) or ():
                if (kind, obj.get("id")) in seen:  # overlapping jobs repeat objects
                    continue
                seen.add((kind, obj.get("id")))
                frame = frames.get(int(obj.get("frame", -1)))
                if frame is None:
                    problems["objects on frames that belong to no sample of the run"] += 1
                    continue
                name = maps.label_names.get(int(obj["label_id"]))
                owner = cvat_schema.owner(name) if name is not None else None
                if owner is None:
                    problems[f"label {name!r} is not part of the run's schema"] += 1
                    continue
                spec, cls = owner
                model = _object_model(obj, spec, cls, maps, known_ids.get(kind, {}))
                if not spec.is_scalar and not any(
                    a["name"] == ID_ATTR for a in model["attributes"]
                ):
                    # drawn in CVAT: the same id on every load, so reloading adds nothing twice
                    drawn = derived_id(f"{kind}{obj.get('id')}", task_id)
                    model["attributes"].insert(0, {"name": ID_ATTR, "value": drawn})
                sample_id = frame["sample_id"]
                buckets[(spec.name, sample_id)][cls].append(model)
                frame_sizes[sample_id] = sizes[int(obj["frame"])]
                _check_finite(obj, kind, task_id)
                outside += _outside_frame(obj, frame_sizes[sample_id])
    if outside:
        logger.warning(
            "Task %d: %d shape(s) reach outside their image; loaded as drawn (relative "
            "coordinates below 0 or above 1)",
            task_id,
            outside,
        )
    return buckets, frame_sizes


def _check_finite(obj: dict[str, Any], kind: str, task_id: int) -> None:
    """Refuse NaN/infinite coordinates: such a label would be stored broken, and skipping
    it would read as the annotator deleting it."""
    points = list(obj.get("points") or ())
    points += [p for e in obj.get("elements") or () for p in e.get("points") or ()]
    if not all(math.isfinite(p) for p in points if isinstance(p, (int, float))):
        raise ValueError(
            f"CVAT task {task_id}: {kind[:-1]} {obj.get('id')} on frame {obj.get('frame')} has "
            "coordinates that are not finite (NaN or infinite); redraw it in CVAT, then load again"
        )


def _outside_frame(obj: dict[str, Any], size: tuple[int, int]) -> bool:
    """Whether a drawn shape's points leave the image (annotators can drag them out)."""
    if obj.get("type") not in ("rectangle", "polygon", "polyline", "points"):
        return False
    points = obj.get("points") or ()
    xs, ys = points[0::2], points[1::2]
    width, height = size
    return any(not 0 <= x <= width for x in xs) or any(not 0 <= y <= height for y in ys)


def _object_model(
    obj: dict[str, Any],
    spec: FieldLabels,
    cls: str | None,
    maps: LabelMaps,
    known_ids: dict[int, str],
) -> dict[str, Any]:
    """A server object in the CVAT object model (names, not ids) with its label id."""
    model = {k: v for k, v in obj.items() if k not in ("label_id", "attributes")}
    model["label"] = spec.name if cls is None else cls
    attrs = [
        {"name": maps.attr_names[a["spec_id"]], "value": a.get("value")}
        for a in obj.get("attributes") or ()
        if a.get("spec_id") in maps.attr_names
    ]
    if not spec.is_scalar:
        current = next((a for a in attrs if a["name"] == ID_ATTR), None)
        if current is None or not is_id(current["value"]):
            fallback = known_ids.get(int(obj.get("id", -1)))
            attrs = [a for a in attrs if a["name"] != ID_ATTR]
            if fallback:
                attrs.insert(0, {"name": ID_ATTR, "value": fallback})
    model["attributes"] = attrs
    return model


def _convert(
    spec: FieldLabels,
    by_class: dict[str | None, list[dict[str, Any]]],
    size: tuple[int, int],
    problems: Counter[str],
    templates: dict[str, Label] | None = None,
) -> dict[str, Any]:
    """``{return_type: labels | value}`` for one field of one sample.

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
            kind = _KIND_OF_CLASS.get(type(label), expected)
            if kind == "classifications" and expected == "classification":
                kind = expected
            out[kind].append(label)
    return dict(out)


def _templates(
    samples: Any, cvat_schema: CVATSchema
) -> tuple[dict[str, dict[str, Label]], dict[str, dict[str, Any]]]:
    """The run samples' current labels by field and id, and scalar values by field and sample.

    They restore what CVAT cannot hold: polygon ``filled`` flags, NaN keypoints
    and the Python types of text attributes and scalars.
    """
    labels: dict[str, dict[str, Label]] = {}
    scalars: dict[str, dict[str, Any]] = {}
    fields = [name for name, spec in cvat_schema.fields.items() if _needs_templates(spec)]
    if samples is not None and hasattr(samples, "has_field"):
        # a field the run creates has no current values yet
        fields = [name for name in fields if samples.has_field(name)]
    if not fields or samples is None:
        return labels, scalars
    view = samples.select_fields(fields) if hasattr(samples, "select_fields") else samples
    for sample in view.iter_samples():
        for name in fields:
            value = sample.get_field(name) if sample.has_field(name) else None
            if isinstance(value, Label):
                items = value[value.list_field] if value.list_field else [value]
                labels.setdefault(name, {}).update((label.id, label) for label in items or ())
            elif value is not None:
                scalars.setdefault(name, {})[sample.id] = value
    return labels, scalars


def _needs_templates(spec: FieldLabels) -> bool:
    """Whether downloads of the field need its current values (see :func:`_templates`)."""
    if spec.is_scalar or spec.label_type in _SHAPE_MEMORY_TYPES:
        return True
    return any(
        attr.get("type", "text") == "text"
        for attrs in spec.attributes.values()
        for attr in attrs.values()
    )


def _typed(text: str, like: Any, coerce: bool) -> Any:
    """``text`` parsed as ``like``'s type when it was not a string; else by ``coerce``."""
    if like is None:
        return coerce_text(text) if coerce else text
    if isinstance(like, str):
        return text
    parsed = coerce_text(text)
    if isinstance(like, float) and isinstance(parsed, int) and not isinstance(parsed, bool):
        return float(parsed)
    return parsed if type(parsed) is type(like) else text


def _restore_types(label: Label, spec: FieldLabels, template: Label | None, coerce: bool) -> None:
    """Parse text attributes back into the types the label had before (strings stay strings,
    so ``"007"`` is never ``7``); attributes new to a label follow ``coerce_text_attrs``."""
    specs = spec.attributes.get(label.get_field("label") or "", {})
    for name, attr in specs.items():
        value = label.get_field(name)
        if attr.get("type", "text") == "text" and isinstance(value, str):
            like = template.get_field(name) if template is not None else None
            label[name] = _typed(value, like, coerce)


def _scalar_value(
    spec: FieldLabels, by_class: dict[str | None, list[dict]], current: Any, coerce: bool
) -> Any:
    """The scalar a sample's tag holds, typed like the classes or the current value."""
    objects = [o for objs in by_class.values() for o in objs if "type" not in o]
    if not objects:
        return None
    classes = spec.scalar_classes or None
    value = scalar.from_cvat(objects[0], None, spec.options(None), field=spec.name, classes=classes)
    if isinstance(value, str) and not classes:
        return _typed(value, current, coerce)
    return value
