"""``CVATVideoDataset``: videos plus one "CVAT for video 1.1" XML file per video.

Layout (the reference system's)::

    <dataset_dir>/
        data/<stem>.<ext>       # the videos
        labels/<stem>.xml       # one file per video, tracks only

Frame labels with an ``index`` become one track per (shape type, class,
index) whose XML id is that index (when several tracks share an index, the
others get fresh ids: ids are unique in a file); labels without one become
one-frame tracks with fresh ids above the largest index (CVAT for video has
no plain shapes).
Every labelled frame is written (nothing is thinned to keyframes); a track gets
an ``outside`` shape after each run of frames that ends before the video does.
``keyframe`` flags follow the labels' ``keyframe`` attribute when any label of
the track has one (each run's first shape is always a keyframe), else every
shape is a keyframe. Import gives every shape that is not ``outside`` back as a
label on frame ``frame + 1`` with ``index`` = track id, and ``keyframe=True``
on keyframes unless all of the track's shapes are keyframes.
"""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from labelloop.core.metadata import VideoMetadata
from labelloop.cvat.convert import ConvertOptions
from labelloop.cvat.tracks import consecutive_runs
from labelloop.cvat.xml.fields import (
    ClassesFound,
    ImportReport,
    SchemaBuilder,
    export_options,
    exportable_fields,
    field_names,
    group_labels,
    import_options,
    object_label,
)
from labelloop.cvat.xml.image_dataset import frame_objects, pick_path
from labelloop.cvat.xml.meta import task_meta
from labelloop.cvat.xml.reader import iter_cvat_xml
from labelloop.cvat.xml.writer import CVATXMLWriter
from labelloop.formats.media_files import VIDEO_EXTENSIONS, MediaExporter, check_export_media
from labelloop.formats.registry import DatasetType, ImportedSample, register_dataset_type
from labelloop.media.metadata import video_metadata

logger = logging.getLogger(__name__)

_TAG_CLASSES = {"Classification", "Classifications"}
_TRACK_SHAPE_KEYS = ("type", "frame", "points", "rotation", "occluded", "z_order", "attributes")


def _find_video(data_dir: Path, stem: str, source: str | None) -> Path:
    """The video of ``labels/<stem>.xml``: ``data/<stem>.*``, else the meta's ``source``."""
    if data_dir.is_dir():
        for path in sorted(data_dir.glob(f"{stem}.*")):
            if path.suffix.lower() in VIDEO_EXTENSIONS:
                return path
    return data_dir / (source or f"{stem}.mp4")


def _outside(shape: Mapping[str, Any]) -> bool:
    """Outside, or a skeleton whose every element is outside (nothing of it is visible)."""
    elements = shape.get("elements")
    return shape["outside"] or bool(elements) and all(e["outside"] for e in elements)


def build_track(
    track_id: int, entries: list[tuple[int, dict[str, Any], Any]], last_frame: int
) -> dict[str, Any]:
    """One XML track from ``(cvat_frame, shape, keyframe attribute)`` entries of one object."""
    entries = sorted(entries, key=lambda e: e[0])
    for before, after in zip(entries, entries[1:]):
        if before[0] == after[0]:
            raise ValueError(
                f"two {after[1]['label']!r} labels with index {track_id} on frame {after[0] + 1}; "
                "a track holds one object per frame"
            )
    flagged = any(kf is True for _, _, kf in entries)
    shapes = []
    for run in consecutive_runs(entries):
        for position, (_, shape, kf) in enumerate(run):
            out = {k: shape[k] for k in _TRACK_SHAPE_KEYS}
            out["outside"] = False
            out["keyframe"] = (kf is True or position == 0) if flagged else True
            shapes.append(out)
        if run[-1][0] < last_frame:
            closing = dict(shapes[-1], frame=run[-1][0] + 1, outside=True, keyframe=True)
            shapes.append(closing)
    first = entries[0][1]
    return {
        "id": track_id,
        "label": first["label"],
        "group": first["group"],
        "source": "manual",
        "shapes": shapes,
    }


@register_dataset_type
class CVATVideoDataset(ClassesFound, DatasetType):
    """Videos with tracked boxes, polygons, polylines, points and masks in CVAT XML."""

    media_type = "video"
    classes_prefix = "frames."

    def read(
        self,
        dataset_dir: Path | None,
        data_path: str | os.PathLike[str] | None = None,
        labels_path: str | os.PathLike[str] | None = None,
        label_field: str | Mapping[str, str] | None = None,
    ) -> Iterator[ImportedSample]:
        """One video sample per XML file in ``labels_path`` (default ``labels/``), its
        media found by file stem (or the meta's ``source``) under ``data_path``
        (default ``data/``). Frame labels go to ``detections``/``polylines``/
        ``keypoints`` (``label_field``: a prefix for those names or a dict kind -> field).
        """
        names = field_names(label_field)
        base = Path(dataset_dir) if dataset_dir is not None else Path.cwd()
        labels_dir = pick_path(base, labels_path, ("labels",))
        if not labels_dir.is_dir():
            raise ValueError(f"labels_path {os.fspath(labels_dir)!r} is not a directory")
        data_dir = pick_path(base, data_path, ("data",))
        files = sorted(labels_dir.glob("*.xml"))
        return (self._sample(path, data_dir, names) for path in files)

    def _sample(self, xml_path: Path, data_dir: Path, names: dict[str, str]) -> ImportedSample:
        report = ImportReport(os.fspath(xml_path))
        records = iter_cvat_xml(xml_path)
        _, meta = next(records)
        task = meta.get("task") or meta.get("job") or {}
        video = _find_video(data_dir, xml_path.stem, task.get("source"))
        size = task.get("original_size") or {}
        width, height = int(size.get("width") or 0), int(size.get("height") or 0)
        count = int(task["size"]) if str(task.get("size", "")).isdigit() else None
        if not (width and height):
            if not video.is_file():
                raise ValueError(
                    f"{xml_path}: no <original_size> in the meta and the video "
                    f"{os.fspath(video)!r} does not exist, so the labels cannot be placed"
                )
            header = video_metadata(os.fspath(video))
            width, height = header["frame_width"], header["frame_height"]
            count = header["total_frame_count"]
        if not video.is_file():
            logger.warning("%s: video %s not found; the sample points there", xml_path, video)
        options = import_options(meta)
        frames: dict[int, list[tuple[str, Any]]] = defaultdict(list)
        for kind, record in records:
            if kind != "track":
                report.add(kind, f"{kind} {record.get('name')!r}", "CVAT for video holds tracks")
                continue
            visible = [s for s in record["shapes"] if not _outside(s)]
            all_keyframes = all(s["keyframe"] for s in visible)
            for shape in visible:
                obj = dict(shape, attributes=shape["attributes"] + record["attributes"])
                where = f"track {record['id']} frame {shape['frame']}"
                pair = object_label(obj, (width, height), options, report, where)
                if pair is None:
                    continue
                pair[1]["index"] = record["id"]
                if shape["keyframe"] and not all_keyframes:
                    pair[1]["keyframe"] = True
                frames[shape["frame"] + 1].append(pair)
        report.log()
        frame_fields = {n: group_labels(pairs, names) for n, pairs in sorted(frames.items())}
        for fields in frame_fields.values():
            self.note_classes(fields)
        metadata = VideoMetadata(frame_width=width, frame_height=height, total_frame_count=count)
        return ImportedSample(os.fspath(video.resolve()), {"metadata": metadata}, frame_fields)

    def write(
        self,
        samples: Iterable[Any],
        export_dir: Path,
        label_field: str | None = None,
        frame_labels_field: str | Sequence[str] | None = None,
        data_path: str = "data",
        labels_path: str = "labels",
        export_media: bool | str = True,
        label_ids: bool = False,
    ) -> None:
        """Write each video and ``labels/<stem>.xml`` with its frame labels as tracks.

        ``frame_labels_field``: one or more Detection(s)/Polyline(s)/Keypoint(s)
        frame fields (default: all such fields). With ``export_media=False`` the
        videos are not copied, each XML is named after the video's file stem and its
        meta ``source`` holds the video's absolute path. ``label_ids=True`` adds each
        label's id as a ``label_id`` attribute, so import keeps the ids.
        """
        check_export_media(export_media)
        if label_field is not None:
            raise ValueError(
                f"CVAT for video holds frame labels only; pass frame_labels_field instead of "
                f"label_field={label_field!r}"
            )
        get_schema = getattr(samples, "get_frame_field_schema", None)
        schema = (get_schema() if get_schema else None) or {}
        fields = exportable_fields(schema, frame_labels_field)
        tags = [f for f in fields if schema.get(f, {}).get("cls") in _TAG_CLASSES]
        if tags and frame_labels_field is not None:
            raise ValueError(
                f"CVAT for video has no tags; frame fields {tags} hold classifications"
            )
        if tags:
            logger.warning("Not exporting frame fields %s: CVAT for video has no tags", tags)
        fields = [f for f in fields if f not in tags]
        exporter = MediaExporter(export_dir / data_path, export_media)
        used: set[str] = set()
        for sample in samples:
            if getattr(sample, "media_type", "video") != "video":
                raise ValueError(f"CVATVideoDataset holds videos; {sample.filepath!r} is not one")
            out = exporter.add(sample.filepath)
            stem, k = Path(out).stem, 1
            while stem in used:
                stem, k = f"{Path(out).stem}-{k}", k + 1
            used.add(stem)
            path = export_dir / labels_path / f"{stem}.xml"
            path.parent.mkdir(parents=True, exist_ok=True)
            source = os.path.basename(out) if export_media else out
            self._write_video(sample, fields, path, source, export_options(label_ids))

    def _write_video(
        self, sample: Any, fields: list[str], path: Path, source: str, options: ConvertOptions
    ) -> None:
        meta = sample.metadata if sample.has_field("metadata") else None
        if meta is None or not (meta.get("frame_width") and meta.get("total_frame_count")):
            meta = VideoMetadata(**video_metadata(sample.filepath))
        size = (int(meta.frame_width), int(meta.frame_height))
        count = int(meta.total_frame_count)
        schema = SchemaBuilder()
        keyed: dict[tuple[str, str, int, int], list[tuple[int, dict, Any]]] = defaultdict(list)
        loose: list[tuple[int, dict, Any]] = []
        for frame in sample.frames.iter_frames():
            number = frame.frame_number
            for field in fields:
                value = frame[field] if frame.has_field(field) else None
                if value is None:
                    continue
                for item in value[value.list_field] if value.list_field else [value]:
                    index = item.get_field("index")
                    if index is not None and (
                        isinstance(index, bool) or not isinstance(index, int)
                    ):
                        raise ValueError(
                            f"{field} label {item.id} on frame {number} has index={index!r}; "
                            "track ids must be integers"
                        )
                    made = frame_objects(item, size, number - 1, schema, options)
                    for part, shape in enumerate(made):
                        entry = (number - 1, shape, item.get_field("keyframe"))
                        if index is None:
                            loose.append(entry)
                        else:
                            keyed[(shape["type"], shape["label"], index, part)].append(entry)
        # a track keeps its index as id; another object with the same index (another shape
        # type or class, e.g. a polygon track and a box track) gets a fresh id, as do
        # labels without an index: XML track ids are unique within the file
        tracks, clashing, used = [], [], set()
        for key in sorted(keyed, key=lambda k: (k[2], k[0], str(k[1]), k[3])):
            if key[2] in used:
                clashing.append(keyed[key])
            else:
                used.add(key[2])
                tracks.append(build_track(key[2], keyed[key], count - 1))
        next_id = max(used, default=-1) + 1
        for offset, entries in enumerate(clashing + [[entry] for entry in loose]):
            tracks.append(build_track(next_id + offset, entries, count - 1))
        task = task_meta(
            name=os.path.basename(source),
            labels=schema.labels(),
            size=count,
            mode="interpolation",
            original_size=size,
            source=source,
        )
        with CVATXMLWriter(path, task) as writer:
            for track in sorted(tracks, key=lambda t: t["id"]):
                writer.write_track(track)
        logger.info("Wrote %d tracks of %s to %s", len(tracks), sample.filepath, path)
