"""The download flow for images: read each task -> objects -> labels, with gaps explicit.

Tasks are read per job (:mod:`labelloop.cvat.read`; annotators' unsaved
task-level state never matters), objects mapped back from server label and
attribute ids to the run's fields, classes and attribute names and given
their label id (:mod:`labelloop.cvat.objects`), then converted by
:mod:`labelloop.cvat.convert`. Samples whose frames could not be read are
returned with the reason, so the merge leaves their labels as they are.
Nothing is dropped silently: objects outside the schema, unsupported shapes
and tracks are counted and reported.
"""

from __future__ import annotations

import logging
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from labelloop.annotation.base import Skip
from labelloop.annotation.schema import RETURN_TYPES
from labelloop.core.labels import Label
from labelloop.cvat.objects import (
    assign_ids,
    convert_objects,
    needs_templates,
    object_model,
    restore_types,
    run_schema,
    scalar_value,
)
from labelloop.cvat.read import TaskRead, read_task
from labelloop.cvat.schema import CVATSchema
from labelloop.progress import bar

logger = logging.getLogger(__name__)

_PROGRESS_MIN_TASKS = 5

#: ``{(field, sample_id): {class: [object, ...]}}``.
Buckets = dict[tuple[str, str], dict[str | None, list[dict[str, Any]]]]


@dataclass
class Download:
    """A run's labels in the download layout, and the samples that could not be read."""

    annotations: dict[str, Any]
    skipped: dict[str, list[Skip]] = field(default_factory=dict)


def download_run(backend: Any, results: Any) -> Download:
    """``{field: {return_type: {sample_id: {label_id: label} | value}}}`` for the run,
    plus ``{sample_id: [Skip]}`` for samples on frames that could not be read."""
    api = backend.connect_to_api()
    cvat_schema = run_schema(backend.config)
    out: dict[str, Any] = {
        name: {RETURN_TYPES[spec.label_type]: {}} for name, spec in cvat_schema.fields.items()
    }
    skipped: dict[str, list[Skip]] = {}
    problems: Counter[str] = Counter()
    templates, current = _templates(results.samples, cvat_schema)
    coerce = bool(backend.config.coerce_text_attrs)
    show = len(results.task_ids) >= _PROGRESS_MIN_TASKS
    for task_id in bar(results.task_ids, desc="Downloading from CVAT", unit="task", show=show):
        read = read_task(api, task_id)
        frames = results.frame_id_map.get(task_id, {})
        for index, frame in frames.items():
            gap = read.gap_at(index)
            if gap is not None:
                skipped.setdefault(frame["sample_id"], []).append(Skip(gap.source, gap.reason))
        if not read.readable:
            continue
        sizes = [(int(f["width"]), int(f["height"])) for f in read.meta.get("frames") or ()]
        buckets, frame_sizes = _bucket(read, results, cvat_schema, sizes, problems)
        for (field_name, sample_id), by_class in buckets.items():
            spec = cvat_schema.fields[field_name]
            field_templates = templates.get(field_name, {})
            if spec.is_scalar:
                value = scalar_value(
                    spec, by_class, current.get(field_name, {}).get(sample_id), coerce
                )
                if value is not None:
                    out[field_name].setdefault("scalar", {})[sample_id] = value
                continue
            size = frame_sizes[sample_id]
            converted = convert_objects(spec, by_class, size, problems, field_templates)
            for return_type, labels in converted.items():
                per_sample = out[field_name].setdefault(return_type, {}).setdefault(sample_id, {})
                for label in labels:
                    restore_types(label, spec, field_templates.get(label.id), coerce)
                    per_sample[label.id] = label
    for problem, count in problems.items():
        logger.warning("%d CVAT object(s) not loaded: %s", count, problem)
    return Download(out, skipped)


def _bucket(
    read: TaskRead,
    results: Any,
    cvat_schema: CVATSchema,
    sizes: list[tuple[int, int]],
    problems: Counter[str],
) -> tuple[Buckets, dict[str, tuple[int, int]]]:
    """Group a task's objects by (field, sample) and class, in the object model."""
    task_id, maps = read.task_id, read.maps
    frames = results.frame_id_map.get(task_id, {})
    known_ids = results.server_id_map.get(task_id, {})
    if read.objects["tracks"]:
        problems["tracks in an image task (draw shapes, not tracks)"] += len(read.objects["tracks"])
    placed: list[tuple[str, dict[str, Any], dict[str, Any], str, str | None, str]] = []
    for kind in ("tags", "shapes"):
        for obj in read.objects[kind]:
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
            model = object_model(obj, spec, cls, maps, known_ids.get(kind, {}))
            placed.append((kind, obj, model, spec.name, cls, frame["sample_id"]))
    assign_ids(
        [(k, o, m) for k, o, m, name, _, _ in placed if not cvat_schema.fields[name].is_scalar],
        known_ids,
        read.source,
    )
    buckets: Buckets = defaultdict(lambda: defaultdict(list))
    frame_sizes: dict[str, tuple[int, int]] = {}
    outside = 0
    for kind, obj, model, name, cls, sample_id in placed:
        buckets[(name, sample_id)][cls].append(model)
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


def _templates(
    samples: Any, cvat_schema: CVATSchema
) -> tuple[dict[str, dict[str, Label]], dict[str, dict[str, Any]]]:
    """The run samples' current labels by field and id, and scalar values by field and sample.

    They restore what CVAT cannot hold: polygon ``filled`` flags, NaN keypoints
    and the Python types of text attributes and scalars.
    """
    labels: dict[str, dict[str, Label]] = {}
    scalars: dict[str, dict[str, Any]] = {}
    fields = [name for name, spec in cvat_schema.fields.items() if needs_templates(spec)]
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
