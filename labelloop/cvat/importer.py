"""``import_annotations``: bring image tasks made outside labelloop into a dataset.

CVAT frames are matched to media on disk by file name (``data_path``), missing
media can be downloaded, and every tag/shape becomes a label in a field named
after its kind (``classifications``, ``detections``, ``polylines``,
``keypoints``) unless ``label_types`` says otherwise. Label ids come from a
``label_id`` attribute when it holds a valid id (tasks labelloop created
re-import with their original ids).
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from labelloop.annotation.registry import build_config
from labelloop.core.ids import new_id
from labelloop.core.labels import Classifications, Detections, Keypoints, Label, Polylines
from labelloop.core.sample import Sample
from labelloop.cvat import convert
from labelloop.cvat.api import CVATAnnotationAPI
from labelloop.cvat.convert.common import UnsupportedObjectError
from labelloop.cvat.resources.labels import LabelMaps
from labelloop.cvat.schema import ID_ATTR, spec_from_cvat_attribute
from labelloop.cvat.xml.fields import FIELD_OF_TYPE

logger = logging.getLogger(__name__)

_CONTAINERS: dict[str, tuple[type[Label], str]] = {
    "classifications": (Classifications, "classifications"),
    "detections": (Detections, "detections"),
    "polylines": (Polylines, "polylines"),
    "keypoints": (Keypoints, "keypoints"),
}
_KIND_OF_LABEL = {
    "Classification": "classifications",
    "Detection": "detections",
    "Polyline": "polylines",
    "Keypoint": "keypoints",
}


def import_annotations(
    sample_collection: Any,
    project_name: str | None = None,
    project_id: int | None = None,
    task_ids: int | Iterable[int] | None = None,
    data_path: str | Mapping[str, str] | None = None,
    label_types: Mapping[str, str] | Iterable[str] | None = None,
    insert_new: bool = True,
    download_media: bool = False,
    occluded_attr: str | None = None,
    group_id_attr: str | None = None,
    backend: str = "cvat",
    **kwargs: Any,
) -> None:
    """Import the annotations (and optionally media) of existing CVAT image tasks.

    Args:
        sample_collection: the dataset (or view of it) to import into.
        project_name, project_id, task_ids: exactly one of them says what to import.
        data_path: ``None`` (match CVAT file names to the collection's files by
            basename), a dict ``{cvat name: local path}``, a ``.json`` file holding
            such a dict, or a directory searched recursively (and, with
            ``download_media``, where missing media is written).
        label_types: ``None`` for every kind; a list keeps only those kinds; a
            dict maps kinds (``classifications``, ``detections``, ``polylines``,
            ``keypoints``) to the fields that receive them.
        insert_new: add samples for media not yet in the collection (otherwise skip them).
        download_media: download frames whose media is not found locally.
        occluded_attr, group_id_attr: label attributes receiving CVAT's occluded
            flag / group number.
        backend: the configured backend name; ``kwargs`` are its credentials/url.
    """
    chosen = [v is not None for v in (project_name, project_id, task_ids)]
    if sum(chosen) != 1:
        raise ValueError("Pass exactly one of project_name, project_id or task_ids")
    fields = _field_names(label_types)
    if download_media and not (isinstance(data_path, str) and not data_path.endswith(".json")):
        raise ValueError("download_media=True needs data_path to be a directory to write media")
    dataset = getattr(sample_collection, "_dataset", sample_collection)
    files = _data_map(sample_collection, data_path)
    config = build_config(backend, None, **kwargs)
    api: CVATAnnotationAPI = config.build_backend().connect_to_api()
    with api:
        tasks = _resolve_tasks(api, project_name, project_id, task_ids)
        by_path = {s.filepath: s for s in sample_collection.iter_samples()}
        problems: Counter[str] = Counter()
        for task_id in tasks:
            _import_task(
                api,
                dataset,
                task_id,
                files,
                by_path,
                fields,
                insert_new,
                download_media,
                data_path,
                occluded_attr,
                group_id_attr,
                problems,
            )
    for problem, count in problems.items():
        logger.warning("%d item(s) not imported: %s", count, problem)


def _field_names(label_types: Any) -> dict[str, str]:
    if label_types is None:
        return {kind: kind for kind in _CONTAINERS}
    if isinstance(label_types, Mapping):
        names = dict(label_types)
    elif isinstance(label_types, str):
        names = {label_types: label_types}
    else:
        names = {kind: kind for kind in label_types}
    unknown = set(names) - set(_CONTAINERS)
    if unknown:
        raise ValueError(
            f"label_types has unknown kinds {sorted(unknown)}; choose from {sorted(_CONTAINERS)}"
        )
    return names


def _data_map(samples: Any, data_path: Any) -> dict[str, str]:
    if data_path is None:
        return {os.path.basename(p): p for p in samples.values("filepath")}
    if isinstance(data_path, Mapping):
        return {str(k): os.path.abspath(str(v)) for k, v in data_path.items()}
    if not isinstance(data_path, str):
        raise ValueError(
            f"data_path must be None, a dict, a .json file or a directory: {data_path!r}"
        )
    if data_path.endswith(".json"):
        with open(data_path, encoding="utf-8") as handle:
            return {str(k): os.path.abspath(str(v)) for k, v in json.load(handle).items()}
    out: dict[str, str] = {}
    for root, _dirs, names in os.walk(data_path):
        for name in names:
            out.setdefault(name, os.path.abspath(os.path.join(root, name)))
    return out


def _resolve_tasks(
    api: CVATAnnotationAPI, project_name: str | None, project_id: int | None, task_ids: Any
) -> list[int]:
    if project_name is not None:
        project_id = api.get_project_id(project_name)
        if project_id is None:
            raise ValueError(f"No CVAT project named {project_name!r} on {api.base_url}")
    if project_id is not None:
        return api.get_project_tasks(project_id)
    return [int(task_ids)] if isinstance(task_ids, (int, str)) else [int(t) for t in task_ids]


def _import_task(
    api: CVATAnnotationAPI,
    dataset: Any,
    task_id: int,
    files: dict[str, str],
    by_path: dict[str, Sample],
    fields: dict[str, str],
    insert_new: bool,
    download_media: bool,
    data_path: Any,
    occluded_attr: str | None,
    group_id_attr: str | None,
    problems: Counter[str],
) -> None:
    meta = api.tasks.data_meta(task_id)
    deleted = set(meta.get("deleted_frames") or ())
    labels = api.labels.of_task(task_id)
    maps = LabelMaps.from_labels(labels)
    specs = {
        label["name"]: {
            a["name"]: spec_from_cvat_attribute(a)
            for a in label.get("attributes") or ()
            if a["name"] != ID_ATTR
        }
        for label in labels
    }
    options = convert.ConvertOptions(
        class_attributes=specs,
        attributes={},
        occluded_attr=occluded_attr,
        group_id_attr=group_id_attr,
        coerce_text=True,
    )
    objects: dict[int, list[dict[str, Any]]] = {}
    for job in api.jobs.of_task(task_id):
        data = api.jobs.get_annotations(int(job["id"]))
        if data.get("tracks"):
            problems["tracks in image tasks"] += len(data["tracks"])
        for obj in (data.get("tags") or []) + (data.get("shapes") or []):
            name = maps.label_names.get(int(obj["label_id"]))
            model = {k: v for k, v in obj.items() if k not in ("label_id", "attributes", "id")}
            model["label"] = name
            model["attributes"] = [
                {"name": maps.attr_names[a["spec_id"]], "value": a.get("value")}
                for a in obj.get("attributes") or ()
                if a.get("spec_id") in maps.attr_names
            ]
            objects.setdefault(int(obj["frame"]), []).append(model)
    new_samples: list[Sample] = []
    for index, frame in enumerate(meta.get("frames") or ()):
        if index in deleted:
            continue
        name = os.path.basename(str(frame.get("name", "")))
        path = files.get(str(frame.get("name"))) or files.get(name)
        if path is None and download_media:
            path = os.path.join(str(data_path), name)
            content = api.get(api.task_data_download_url(task_id, index)).content
            with open(path, "wb") as handle:
                handle.write(content)
        if path is None:
            problems[f"frames of task {task_id} whose media is not in data_path"] += 1
            continue
        sample = by_path.get(os.path.abspath(path))
        is_new = sample is None
        if sample is None:
            if not insert_new:
                problems["frames of media not in the collection (insert_new=False)"] += 1
                continue
            sample = Sample(filepath=path)
            new_samples.append(sample)
            by_path[sample.filepath] = sample
        size = (int(frame["width"]), int(frame["height"]))
        _add_labels(sample, objects.get(index, []), size, options, fields, problems)
        if not is_new and sample.in_dataset:
            sample.save()
    if new_samples:
        dataset.add_samples(new_samples)


def _label_ids(sample: Sample) -> set[str]:
    """Ids of every label (and list container) the sample holds."""
    out: set[str] = set()
    for name in sample.field_names:
        value = sample.get_field(name)
        if isinstance(value, Label):
            out.add(value.id)
            if value.list_field:
                out.update(item.id for item in value[value.list_field] or ())
    return out


def _add_labels(
    sample: Sample,
    objects: list[dict[str, Any]],
    size: tuple[int, int],
    options: convert.ConvertOptions,
    fields: dict[str, str],
    problems: Counter[str],
) -> None:
    kept = []
    for obj in objects:
        kind = FIELD_OF_TYPE.get(obj.get("type", "tag"))
        if kind is None:
            problems[f"CVAT {obj.get('type')} shapes have no labelloop label kind"] += 1
        elif kind in fields:
            kept.append(obj)
    try:
        labels = convert.from_cvat_objects(kept, size, options)
    except UnsupportedObjectError as err:
        problems[str(err)] += len(kept)
        return
    taken = _label_ids(sample)
    for label in labels:
        kind = _KIND_OF_LABEL[type(label).__name__]
        field = fields[kind]
        container_cls, attr = _CONTAINERS[kind]
        current = sample.get_field(field) if sample.has_field(field) else None
        if current is None:
            current = container_cls()
        items = list(current[attr] or [])
        if any(item.id == label.id for item in items):
            continue  # imported before: keep the dataset's version
        if label.id in taken:  # the id lives in another field: ids are unique per sample
            label["id"] = new_id()
        taken.add(label.id)
        current[attr] = [*items, label]
        sample[field] = current
