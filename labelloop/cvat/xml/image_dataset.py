"""``CVATImageDataset``: images plus one "CVAT for images 1.1" XML file.

Layout (the reference system's)::

    <dataset_dir>/
        data/<name>        # the images (CVAT's own exports use images/)
        labels.xml         # CVAT's own exports call it annotations.xml

Unlike the reference, coordinates keep two decimals instead of being rounded
to whole pixels, instance masks are written as ``<mask>`` instead of being
dropped, and every sample is written (unlabelled ones as empty ``<image>``),
so export -> import gives the same samples and labels back.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from labelloop.core.labels import LIST_LABELS
from labelloop.core.metadata import ImageMetadata
from labelloop.cvat import convert
from labelloop.cvat.convert import ConvertOptions
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
from labelloop.cvat.xml.meta import project_meta, task_meta
from labelloop.cvat.xml.reader import iter_cvat_xml
from labelloop.cvat.xml.writer import CVATXMLWriter
from labelloop.formats.media_files import MediaExporter, check_export_media
from labelloop.formats.registry import DatasetType, ImportedSample, register_dataset_type
from labelloop.media.metadata import image_metadata

logger = logging.getLogger(__name__)

#: CVAT's subset name for images of tasks without one; not turned into a tag.
DEFAULT_SUBSET = "default"


def pick_path(base: Path, given: str | os.PathLike[str] | None, defaults: Sequence[str]) -> Path:
    """``base/given``, or the first existing of ``base/<default>`` (else the first default)."""
    if given is not None:
        return base / given
    for name in defaults:
        if (base / name).exists():
            return base / name
    return base / defaults[0]


def locate_media(data_dir: Path, name: str, subset: str | None) -> Path:
    """Where the file CVAT calls ``name`` lives: ``data/name``, ``data/<subset>/name``,
    or ``name`` itself when absolute; the first candidate when none exists."""
    candidates = [data_dir / name]
    if subset:
        candidates.append(data_dir / subset / name)
    if os.path.isabs(name):
        candidates.append(Path(name))
    return next((c for c in candidates if c.exists()), candidates[0])


def frame_objects(
    label: Any,
    frame_size: tuple[int, int],
    frame: int,
    schema: SchemaBuilder,
    options: ConvertOptions,
) -> list[dict[str, Any]]:
    """CVAT objects of one field value (single or list label), recorded in ``schema``."""
    items = label[label.list_field] if isinstance(label, LIST_LABELS) else [label]
    objects = []
    for item in items:
        made = convert.to_cvat(item, frame_size, frame, options)
        schema.add(item, made)
        objects += made
    return objects


@register_dataset_type
class CVATImageDataset(ClassesFound, DatasetType):
    """Images with tags, boxes, polygons, polylines, points and masks in CVAT XML."""

    media_type = "image"

    def read(
        self,
        dataset_dir: Path | None,
        data_path: str | os.PathLike[str] | None = None,
        labels_path: str | os.PathLike[str] | None = None,
        label_field: str | Mapping[str, str] | None = None,
    ) -> Iterator[ImportedSample]:
        """Samples of ``labels_path`` (default ``labels.xml``, else ``annotations.xml``)
        with images under ``data_path`` (default ``data/``, else ``images/``).

        Labels go to ``classifications``/``detections``/``polylines``/``keypoints``;
        ``label_field`` is a prefix for those names or a dict kind -> field.
        A CVAT ``subset`` (other than ``default``) becomes a sample tag.
        """
        names = field_names(label_field)
        base = Path(dataset_dir) if dataset_dir is not None else Path.cwd()
        labels = pick_path(base, labels_path, ("labels.xml", "annotations.xml"))
        if not labels.is_file():
            raise ValueError(f"labels_path {os.fspath(labels)!r} does not exist")
        data_dir = pick_path(base, data_path, ("data", "images"))
        return self._samples(labels, data_dir, names)

    def _samples(
        self, labels: Path, data_dir: Path, names: dict[str, str]
    ) -> Iterator[ImportedSample]:
        report = ImportReport(os.fspath(labels))
        options = None
        missing: list[str] = []
        for kind, record in iter_cvat_xml(labels):
            if kind == "meta":
                options = import_options(record)
                continue
            if kind != "image":
                report.add("track", f"track {record['id']}", "tracks need CVATVideoDataset")
                continue
            path = locate_media(data_dir, record["name"], record["subset"])
            if not path.exists():
                missing.append(record["name"])
            fields: dict[str, Any] = {}
            size = (record["width"], record["height"])
            if not all(size):
                if not path.exists():
                    raise ValueError(
                        f"{labels}: image {record['name']!r} has no width/height and its file "
                        f"{os.fspath(path)!r} does not exist, so its labels cannot be placed"
                    )
                header = image_metadata(os.fspath(path))
                size = (header["width"], header["height"])
            fields["metadata"] = ImageMetadata(width=size[0], height=size[1])
            where = f"image {record['name']!r}"
            pairs = (
                object_label(obj, size, options, report, where)
                for obj in record["shapes"] + record["tags"]
            )
            labels_of = group_labels((p for p in pairs if p is not None), names)
            self.note_classes(labels_of)
            fields.update(labels_of)
            if record["subset"] and record["subset"] != DEFAULT_SUBSET:
                fields["tags"] = [record["subset"]]
            yield ImportedSample(os.fspath(path.resolve()), fields)
        report.log()
        if missing:
            logger.warning(
                "%s: %d image(s) listed in the XML were not found under %s (first: %r); "
                "their samples point where the files should be",
                labels,
                len(missing),
                data_dir,
                missing[0],
            )

    def write(
        self,
        samples: Iterable[Any],
        export_dir: Path,
        label_field: str | Sequence[str] | None = None,
        data_path: str = "data",
        labels_path: str = "labels.xml",
        export_media: bool | str = True,
        task_name: str | None = None,
        subsets: Sequence[str] | None = None,
        label_ids: bool = False,
    ) -> None:
        """Write the images and their labels as "CVAT for images 1.1".

        ``label_field``: one or more Classification(s)/Detection(s)/Polyline(s)/
        Keypoint(s) fields (default: all such fields). ``subsets``: sample tags
        written as CVAT subsets, as in a CVAT project export with one task per
        subset (a sample gets its first tag in ``subsets``, else ``default``). With
        ``export_media=False`` images are not copied and their absolute paths
        become the names. ``label_ids=True`` adds each label's id as a ``label_id``
        attribute, so import (here, or via a CVAT task) keeps the ids.
        """
        check_export_media(export_media)
        if isinstance(subsets, str):
            raise ValueError(f"subsets must be a list of tags, not the string {subsets!r}")
        fields = exportable_fields(_schema(samples), label_field)
        options = export_options(label_ids)
        # Pass 1 learns the label schema (and subset sizes) that <meta>, written
        # first, declares; pass 2 streams the images out, so memory stays flat.
        schema = SchemaBuilder()
        sizes: dict[str, int] = {}
        count = 0
        for index, sample in enumerate(samples):
            if getattr(sample, "media_type", "image") != "image":
                raise ValueError(f"CVATImageDataset holds images; {sample.filepath!r} is not one")
            _sample_objects(sample, fields, index, schema, options)
            subset = _subset(sample, subsets)
            sizes[subset or ""] = sizes.get(subset or "", 0) + 1
            count += 1
        name = task_name or getattr(samples, "name", "labelloop")
        task_ids: dict[str, int] = {}
        if subsets is None:
            meta = task_meta(name=name, labels=schema.labels(), size=count)
        else:
            order = [s for s in dict.fromkeys([*subsets, DEFAULT_SUBSET]) if s in sizes]
            meta = project_meta(
                name=name, labels=schema.labels(), tasks=[(s, sizes[s]) for s in order]
            )
            task_ids = {s: i for i, s in enumerate(order, 1)}
        exporter = MediaExporter(export_dir / data_path, export_media)
        path = export_dir / labels_path
        path.parent.mkdir(parents=True, exist_ok=True)
        with CVATXMLWriter(path, meta) as writer:
            for index, sample in enumerate(samples):
                (width, height), objects = _sample_objects(
                    sample, fields, index, SchemaBuilder(), options
                )
                out = exporter.add(sample.filepath)
                subset = _subset(sample, subsets)
                writer.write_image(
                    {
                        "id": index,
                        "name": os.path.relpath(out, export_dir / data_path)
                        if export_media
                        else out,
                        "subset": subset,
                        "task_id": task_ids[subset] if subset else None,
                        "width": width,
                        "height": height,
                        "shapes": [o for o in objects if "type" in o],
                        "tags": [o for o in objects if "type" not in o],
                    }
                )
        logger.info("Wrote %d images with labels of %s to %s", count, fields, path)


def _subset(sample: Any, subsets: Sequence[str] | None) -> str | None:
    """The sample's CVAT subset: its first tag among ``subsets``, else ``default``."""
    if subsets is None:
        return None
    return next((t for t in subsets if t in sample.tags), DEFAULT_SUBSET)


def _sample_objects(
    sample: Any, fields: list[str], index: int, schema: SchemaBuilder, options: ConvertOptions
) -> tuple[tuple[int, int], list[dict[str, Any]]]:
    size = _image_size(sample)
    objects: list[dict[str, Any]] = []
    for field in fields:
        value = sample[field] if sample.has_field(field) else None
        if value is not None:
            objects += frame_objects(value, size, index, schema, options)
    return size, objects


def _schema(samples: Any) -> dict[str, Any] | None:
    get = getattr(samples, "get_field_schema", None)
    return get() if get else None


def _image_size(sample: Any) -> tuple[int, int]:
    meta = sample.metadata if sample.has_field("metadata") else None
    if meta is not None and meta.get("width") and meta.get("height"):
        return int(meta.width), int(meta.height)
    header = image_metadata(sample.filepath)
    return header["width"], header["height"]
