"""``import_annotations``: bring CVAT tasks made outside labelloop into a dataset.

Three phases keep the import atomic and the database lock short: everything
is read from the server first (task meta, labels, annotations, and missing
media in parallel), then all samples and labels are written in one
transaction. CVAT file names are matched to local media by
:class:`~labelloop.cvat.import_media.MediaIndex`; labels land in fields named
after their kind (``classifications``, ``detections``, ``polylines``,
``keypoints``; ``frames.<kind>`` on videos) unless ``label_types`` says
otherwise. Re-importing updates the labels imported before (same ids, see
:mod:`labelloop.cvat.import_labels`) and adds nothing twice; labels deleted in
CVAT since are left in the dataset. What cannot be imported is counted in the
returned :class:`ImportReport` and logged.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from labelloop.annotation.diff import loaded_id
from labelloop.annotation.registry import build_config
from labelloop.core.labels import Classifications, Detections, Keypoints, Label, Polylines
from labelloop.core.sample import Sample, media_type_of
from labelloop.cvat.api import CVATAnnotationAPI
from labelloop.cvat.import_labels import TaskConverter, TaskData
from labelloop.cvat.import_media import (
    AMBIGUOUS,
    FOUND,
    MediaDownload,
    MediaIndex,
    download_all,
    download_target,
)
from labelloop.cvat.import_report import ImportReport
from labelloop.cvat.read import server_identity
from labelloop.cvat.tracks import FrameRange
from labelloop.cvat.video_download import frame_range_of

logger = logging.getLogger(__name__)

__all__ = ["ImportReport", "import_annotations"]

_CONTAINERS: dict[str, tuple[type[Label], str]] = {
    "classifications": (Classifications, "classifications"),
    "detections": (Detections, "detections"),
    "polylines": (Polylines, "polylines"),
    "keypoints": (Keypoints, "keypoints"),
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
    num_workers: int | None = None,
    occluded_attr: str | None = None,
    group_id_attr: str | None = None,
    backend: str = "cvat",
    progress: bool = True,
    **kwargs: Any,
) -> ImportReport:
    """Import the annotations (and optionally media) of existing CVAT image or video tasks.

    Args:
        sample_collection: the dataset (or view of it) to import into; new
            samples are added to its dataset.
        project_name, project_id, task_ids: exactly one says what to import
            (``task_ids``: one id or an iterable of them).
        data_path: ``None`` (match CVAT file names to the collection's own
            files), a dict ``{cvat name: local path}``, a ``.json`` manifest
            holding such a dict (relative paths are relative to the manifest),
            or a directory searched recursively (with ``download_media``, also
            where missing media is written, keeping CVAT's folder names).
            A name matches the one file whose path ends with it; a basename
            found in several folders is reported as ambiguous and skipped.
        label_types: ``None`` for every kind; a list keeps only those kinds; a
            dict maps kinds (``classifications``, ``detections``,
            ``polylines``, ``keypoints``) to the fields receiving them.
        insert_new: add samples for media not yet in the collection (else
            report and skip them).
        download_media: download media not found locally (needs ``data_path``
            to be a directory): image frames, and videos rebuilt as MP4 from
            the task's original-quality chunks (holding only the task's frames).
        num_workers: download threads (default: up to 8).
        occluded_attr, group_id_attr: label attributes receiving CVAT's
            occluded flag / group number.
        backend: the configured backend name; ``kwargs`` are its credentials/url.
        progress: show a progress bar while downloading media.

    Returns:
        An :class:`ImportReport`: counts of samples/labels added and updated and
        of every item not imported, with examples.
    """
    task_list = _check_arguments(
        project_name, project_id, task_ids, data_path, download_media, num_workers
    )
    kinds = _field_names(label_types)
    dataset = sample_collection.dataset
    existing = dict(zip(sample_collection.values("filepath"), sample_collection.values("id")))
    index = MediaIndex.from_data_path(data_path, existing)
    report = ImportReport()
    config = build_config(backend, None, **kwargs)
    api: CVATAnnotationAPI = config.build_backend().connect_to_api()
    with api:
        if task_list is None:
            task_list = _project_tasks(api, project_name, project_id)
        tasks = [_read_task(api, task_id) for task_id in task_list]
        report.tasks = [t.task_id for t in tasks]
        media_type = dataset.media_type or next((_media_type(t) for t in tasks), None)
        plans = [_plan(t, index, media_type, download_media, data_path, report) for t in tasks]
        downloads = [d for plan in plans for d in plan.downloads]
        failed = download_all(api, downloads, num_workers, progress)
        report.media_downloaded = len(downloads) - len(failed)
        for item, message in failed.items():
            report.skip("media downloads that failed", f"{item.target}: {message}")
        provenance = server_identity(api.base_url)
    outside = set() if sample_collection is dataset else set(dataset.values("filepath"))
    writer = _Writer(dataset, existing, outside - set(existing), kinds, insert_new, report)
    updates = [
        (
            plan,
            TaskConverter(
                plan.task, kinds, provenance, report, occluded_attr, group_id_attr
            ).frame_labels(plan.frame_size),
        )
        for plan in plans
    ]
    with dataset.transaction():
        for plan, labels in updates:
            writer.apply(plan, labels, {d.target for d in failed})
        writer.commit()
    report.log()
    return report


def _check_arguments(
    project_name: Any,
    project_id: Any,
    task_ids: Any,
    data_path: Any,
    download_media: Any,
    num_workers: Any,
) -> list[int] | None:
    """Validate before any request; the task ids when ``task_ids`` names them."""
    given = [n for n, v in (("project_name", project_name), ("project_id", project_id),
                            ("task_ids", task_ids)) if v is not None]  # fmt: skip
    if len(given) != 1:
        raise ValueError(
            "Pass exactly one of project_name, project_id or task_ids"
            + (f" (got {', '.join(given)})" if given else "")
        )
    if data_path is not None and not isinstance(data_path, (str, os.PathLike, Mapping)):
        raise ValueError(
            f"data_path must be None, a dict, a .json file or a directory, not {data_path!r}"
        )
    if isinstance(data_path, (str, os.PathLike)):
        if str(data_path).endswith(".json") and not os.path.isfile(data_path):
            raise ValueError(f"data_path={str(data_path)!r}: no such JSON manifest")
        if not str(data_path).endswith(".json") and not download_media:
            if not os.path.isdir(data_path):
                raise ValueError(f"data_path={str(data_path)!r} is not a directory")
    if download_media and (
        not isinstance(data_path, (str, os.PathLike)) or str(data_path).endswith(".json")
    ):
        raise ValueError("download_media=True needs data_path to be a directory to write media")
    if num_workers is not None and (
        isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 1
    ):
        raise ValueError(f"num_workers must be a positive integer, not {num_workers!r}")
    if task_ids is None:
        return None
    ids = [task_ids] if isinstance(task_ids, (int, str)) else list(task_ids)
    try:
        return [int(t) for t in ids]
    except (TypeError, ValueError):
        raise ValueError(f"task_ids must be task ids (integers), not {task_ids!r}") from None


def _field_names(label_types: Any) -> dict[str, str]:
    if label_types is None:
        return {kind: kind for kind in _CONTAINERS}
    if isinstance(label_types, Mapping):
        names = {str(k): str(v) for k, v in label_types.items()}
    elif isinstance(label_types, str):
        names = {label_types: label_types}
    else:
        names = {str(kind): str(kind) for kind in label_types}
    unknown = set(names) - set(_CONTAINERS)
    if unknown:
        raise ValueError(
            f"label_types has unknown kinds {sorted(unknown)}; choose from {sorted(_CONTAINERS)}"
        )
    return names


def _project_tasks(api: CVATAnnotationAPI, project_name: Any, project_id: Any) -> list[int]:
    if project_name is not None:
        project_id = api.get_project_id(project_name)
        if project_id is None:
            raise ValueError(f"No CVAT project named {project_name!r} on {api.base_url}")
    elif not api.project_exists(int(project_id)):
        raise ValueError(f"No CVAT project with id {project_id} on {api.base_url}")
    return sorted(api.get_project_tasks(int(project_id)))


def _read_task(api: CVATAnnotationAPI, task_id: int) -> TaskData:
    return TaskData(
        task_id=task_id,
        meta=api.tasks.data_meta(task_id),
        labels=api.labels.of_task(task_id),
        annotations=api.tasks.get_annotations(task_id),
    )


def _media_type(task: TaskData) -> str:
    frames = task.meta.get("frames") or [{}]
    video = len(frames) == 1 and media_type_of(str(frames[0].get("name", ""))) == "video"
    return "video" if video else "image"


@dataclass
class _Plan:
    """Which local file each kept CVAT frame belongs to, and what must be downloaded."""

    task: TaskData
    frame_size: Any
    files: dict[int, str]  # CVAT frame -> media path (videos: every frame -> the video)
    frame_numbers: FrameRange | None  # videos only
    downloads: list[MediaDownload]


def _plan(
    task: TaskData,
    index: MediaIndex,
    media_type: str | None,
    download: bool,
    data_path: Any,
    report: ImportReport,
) -> _Plan:
    frames = task.meta.get("frames") or []
    kind = _media_type(task)
    plan = _Plan(task, lambda f: (0, 0), {}, None, [])
    if kind != media_type:
        report.skip(
            f"{kind} tasks cannot go into a {media_type} dataset",
            f"task {task.task_id}",
            int(task.meta.get("size") or 0),
        )
        return plan
    if kind == "video":
        width, height = int(frames[0]["width"]), int(frames[0]["height"])
        plan.frame_size = lambda _frame: (width, height)
        names = {0: str(frames[0]["name"])}
    else:
        plan.frame_size = lambda f: (int(frames[f]["width"]), int(frames[f]["height"]))
        names = {i: str(f.get("name", "")) for i, f in enumerate(frames) if i not in task.deleted}
    for frame, name in names.items():
        where = f"task {task.task_id} frame {frame} {name!r}"
        status, found = index.resolve(name)
        if status == FOUND:
            plan.files[frame] = str(found)
        elif status == AMBIGUOUS:
            report.skip("file names matching several local files (ambiguous)", f"{where}: {found}")
        elif download:
            target = download_target(str(data_path), name)
            plan.files[frame] = target
            chunks = -(-int(task.meta.get("size") or 0) // max(int(task.meta["chunk_size"]), 1))
            item = MediaDownload(task.task_id, None if kind == "video" else frame, target, chunks)
            plan.downloads.append(item)
        else:
            source = "data_path" if data_path is not None else "the collection (data_path=None)"
            report.skip(f"file names matching no file of {source}", where)
    if kind == "video" and 0 in plan.files:
        downloaded = bool(plan.downloads)
        plan.frame_numbers = FrameRange() if downloaded else frame_range_of(task.meta)
        plan.files = dict.fromkeys(range(int(task.meta.get("size") or 0)), plan.files[0])
    return plan


class _Writer:
    """Adds and saves samples and merges labels by id, inside the caller's transaction."""

    def __init__(
        self,
        dataset: Any,
        existing: dict[str, str],
        outside_view: set[str],
        kinds: dict[str, str],
        insert_new: bool,
        report: ImportReport,
    ) -> None:
        self.dataset = dataset
        self.ids_by_path = existing  # samples are read only when a task needs them
        self.by_path: dict[str, Sample] = {}
        self.outside_view = outside_view
        self.skipped: set[str] = set()
        self.kinds = kinds
        self.insert_new = insert_new
        self.report = report
        self.new: list[Sample] = []
        self.touched: dict[str, Sample] = {}

    def _sample(self, path: str, where: str) -> Sample | None:
        sample = self.by_path.get(path)
        if sample is None and path in self.ids_by_path:
            sample = self.by_path[path] = self.dataset[self.ids_by_path[path]]
        if sample is None:
            if path in self.skipped:
                return None
            if path in self.outside_view:  # adding it again would duplicate the sample
                problem = "media of dataset samples outside the given view"
            elif not self.insert_new:
                problem = "media not in the collection (insert_new=False)"
            else:
                problem = ""
            if problem:
                self.skipped.add(path)
                self.report.skip(problem, where)
                return None
            sample = Sample(filepath=path)
            self.by_path[path] = sample
            self.new.append(sample)
        return sample

    def apply(self, plan: _Plan, labels: dict[int, list[Any]], failed: set[str]) -> None:
        """Attach the task's labels to the samples (and frames) of its media."""
        where = f"task {plan.task.task_id}"
        if plan.frame_numbers is not None:  # a video: one sample, labels on its frames
            path = plan.files.get(0)
            if path is None or path in failed:
                return
            sample = self._sample(path, f"{where} {os.path.basename(path)}")
            if sample is None or not labels:
                return
            if sample.in_dataset:
                self.touched[path] = sample
            _renumber_tracks(sample, labels, self.kinds)
            for frame, entries in labels.items():
                self._merge(sample.frames[plan.frame_numbers.to_frame_number(frame)], entries)
            return
        for frame, path in plan.files.items():
            if path in failed:
                continue
            sample = self._sample(path, f"{where} {os.path.basename(path)}")
            if sample is None or not labels.get(frame):
                continue
            if sample.in_dataset:
                self.touched[path] = sample
            self._merge(sample, labels[frame])

    def _merge(self, doc: Any, labels: list[tuple[str, Label]]) -> None:
        taken = _ids_by_field(doc)
        for kind, label in labels:
            field = self.kinds[kind]
            container_cls, attr = _CONTAINERS[kind]
            owner = next((f for f, ids in taken.items() if label.id in ids), None)
            if owner is not None and owner != field:  # ids are unique per sample
                label["id"] = loaded_id(label.id, field)
            current = doc.get_field(field) if doc.has_field(field) else None
            if current is None:
                current = container_cls()
            items = list(current[attr] or [])
            position = next((i for i, item in enumerate(items) if item.id == label.id), None)
            if position is None:
                items.append(label)
                self.report.labels_added += 1
            else:
                items[position] = label
                self.report.labels_updated += 1
            taken.setdefault(field, set()).add(label.id)
            current[attr] = items
            doc[field] = current

    def commit(self) -> None:
        """Save touched samples and add new ones (the caller holds the transaction)."""
        for sample in self.touched.values():
            sample.save()
        if self.new:
            self.dataset.add_samples(self.new)
        self.report.samples_added = len(self.new)
        self.report.samples_updated = len(self.touched)


def _ids_by_field(doc: Any, indices: bool = False) -> dict[str, Any]:
    """``{field: {label id}}`` of a sample or frame; with ``indices``, ``{field: [(id, index)]}``
    of the labels that have an index."""
    out: dict[str, Any] = {}
    for name in doc.field_names:
        value = doc.get_field(name)
        if not isinstance(value, Label):
            continue
        items = [value, *((value[value.list_field] or ()) if value.list_field else ())]
        if indices:
            out[name] = [(i.id, i.index) for i in items if i.get_field("index") is not None]
        else:
            out[name] = {i.id for i in items}
    return out


def _renumber_tracks(sample: Sample, labels: dict[int, list[Any]], kinds: dict[str, str]) -> None:
    """Give the task's tracks (numbered 1.. by the converter) the sample's indices: the index
    of a label already there with the same id (a re-import, or a track labelloop uploaded),
    else the next index unused in the target field, so unrelated tracks never merge."""
    fields = set(kinds.values())
    known: dict[tuple[str, str], int] = {}
    top: dict[str, int] = dict.fromkeys(fields, 0)
    for _number, frame in sample.frames.items():
        for name, ids in _ids_by_field(frame, indices=True).items():
            if name in fields:
                for label_id, index in ids:
                    known[(name, label_id)] = index
                    top[name] = max(top[name], index)
    tracks = [(kinds[kind], label) for entries in labels.values() for kind, label in entries]
    tracks = [(field, label) for field, label in tracks if label.get_field("index") is not None]
    chosen: dict[tuple[str, int], int] = {}
    for field, label in tracks:
        if (field, label.id) in known:
            chosen.setdefault((field, label.index), known[(field, label.id)])
    for field, label in tracks:
        if (field, label.index) not in chosen:
            top[field] += 1
            chosen[(field, label.index)] = top[field]
    for field, label in tracks:
        label["index"] = chosen[(field, label.index)]
