"""``COCODetectionDataset``: images plus a COCO detection JSON file.

Layout (as the reference system writes it)::

    <dataset_dir>/
        data/<file_name>      # the images
        labels.json           # COCO "images", "categories", "annotations"

``label_types`` chooses what is read: ``"detections"`` (boxes) and/or
``"segmentations"`` (the same objects with instance masks). With one type the
labels go to ``label_field``; with several to ``<label_field>_<type>``.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from PIL import Image

from labelloop.core.labels import Detection, Detections
from labelloop.core.metadata import ImageMetadata
from labelloop.formats.coco_json import (
    CocoFile,
    categories_for,
    read_coco_json,
    to_annotations,
    to_detections,
)
from labelloop.formats.media_files import MediaExporter, check_export_media
from labelloop.formats.registry import DatasetType, ImportedSample, register_dataset_type

logger = logging.getLogger(__name__)

#: Label types a COCO detection file can provide.
COCO_LABEL_TYPES = ("detections", "segmentations")


def check_label_types(label_types: str | Sequence[str] | None) -> list[str]:
    """Normalise ``label_types`` (default ``["detections"]``), rejecting unknown names."""
    if label_types is None:
        return ["detections"]
    types = [label_types] if isinstance(label_types, str) else list(label_types)
    bad = [t for t in types if t not in COCO_LABEL_TYPES]
    if bad or not types:
        raise ValueError(
            f"label_types must be a non-empty subset of {COCO_LABEL_TYPES}, got {label_types!r}"
        )
    return types


def label_field_names(label_field: str, types: Sequence[str]) -> dict[str, str]:
    """Field of each label type: ``label_field`` alone, else ``<label_field>_<type>``."""
    if len(types) == 1:
        return {types[0]: label_field}
    return {t: f"{label_field}_{t}" for t in types}


def coco_samples(
    coco: CocoFile,
    data_dir: Path,
    label_field: str = "ground_truth",
    label_types: str | Sequence[str] | None = None,
    image_ids: Iterable[Any] | None = None,
    include_id: bool = False,
    extra_attrs: bool = True,
) -> Iterator[ImportedSample]:
    """Samples of a COCO file whose images live in ``data_dir``.

    ``image_ids`` restricts and orders the images; otherwise file order is used.
    """
    types = check_label_types(label_types)
    names = coco.class_names
    images = {img["id"]: img for img in coco.images}
    ids = list(images) if image_ids is None else list(image_ids)
    for image_id in ids:
        img = images[image_id]
        width, height = int(img["width"]), int(img["height"])
        anns = coco.annotations.get(image_id, [])
        fields: dict[str, Any] = {"metadata": ImageMetadata(width=width, height=height)}
        for t, name in label_field_names(label_field, types).items():
            fields[name] = to_detections(
                anns, width, height, names, with_masks=t == "segmentations", extra_attrs=extra_attrs
            )
        if include_id:
            fields["coco_id"] = image_id
        yield ImportedSample(os.fspath((data_dir / img["file_name"]).resolve()), fields)


@register_dataset_type
class COCODetectionDataset(DatasetType):
    """Images with object detections (and optionally instance masks) in COCO JSON."""

    media_type = "image"

    def __init__(self) -> None:
        self._classes: list[str] = []
        self._label_fields: list[str] = []

    def read(
        self,
        dataset_dir: Path | None,
        data_path: str | os.PathLike[str] = "data",
        labels_path: str | os.PathLike[str] = "labels.json",
        label_field: str = "ground_truth",
        label_types: str | Sequence[str] | None = None,
        include_id: bool = False,
        extra_attrs: bool = True,
    ) -> Iterator[ImportedSample]:
        """Samples of ``labels_path`` with images in ``data_path`` (both relative to
        ``dataset_dir`` unless absolute)."""
        base = Path(dataset_dir) if dataset_dir is not None else Path.cwd()
        labels = base / labels_path
        if not labels.is_file():
            raise ValueError(f"labels_path {os.fspath(labels)!r} does not exist")
        coco = read_coco_json(labels)
        self._classes = coco.classes
        types = check_label_types(label_types)
        self._label_fields = list(label_field_names(label_field, types).values())
        return coco_samples(
            coco,
            data_dir=base / data_path,
            label_field=label_field,
            label_types=types,
            include_id=include_id,
            extra_attrs=extra_attrs,
        )

    def dataset_properties(self) -> dict[str, Any]:
        """The file's category names as ``classes`` of each imported label field."""
        return {"classes": {f: list(self._classes) for f in self._label_fields}}

    def write(
        self,
        samples: Iterable[Any],
        export_dir: Path,
        label_field: str | None = None,
        data_path: str = "data",
        labels_path: str = "labels.json",
        export_media: bool | str = True,
        classes: Sequence[str] | None = None,
    ) -> None:
        """Write ``label_field`` (Detections) of image samples as COCO JSON.

        ``classes`` fixes the category order (default: sorted labels found);
        with ``export_media=False`` the images' absolute paths become ``file_name``.
        """
        if not label_field:
            raise ValueError("COCODetectionDataset export needs label_field (a Detections field)")
        check_export_media(export_media)
        rows = []
        for sample in samples:
            labels = sample[label_field] if sample.has_field(label_field) else None
            if isinstance(labels, Detection):  # a patches view: one object per sample
                labels = Detections(detections=[labels])
            if labels is not None and not isinstance(labels, Detections):
                raise ValueError(
                    f"label_field {label_field!r} holds {type(labels).__name__}, not Detections"
                )
            rows.append((sample, labels))
        found = sorted({d.label for _, labels in rows if labels for d in labels.detections})
        if classes is not None:
            missing = sorted(set(found) - set(classes))
            if missing:
                raise ValueError(f"classes lacks labels present in {label_field!r}: {missing}")
        categories, cat_ids = categories_for(list(classes) if classes is not None else found)
        exporter = MediaExporter(export_dir / data_path, export_media)
        images, annotations = [], []
        for image_id, (sample, labels) in enumerate(rows, 1):
            width, height = _image_size(sample)
            out = exporter.add(sample.filepath)
            file_name = os.path.relpath(out, export_dir / data_path) if export_media else out
            images.append(
                {"id": image_id, "file_name": file_name, "width": width, "height": height}
            )
            dets = labels.detections if labels is not None else []
            annotations.extend(
                to_annotations(dets, image_id, width, height, cat_ids, len(annotations) + 1)
            )
        path = export_dir / labels_path
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = {
            "info": {"description": "Exported by labelloop"},
            "licenses": [],
            "categories": categories,
            "images": images,
            "annotations": annotations,
        }
        path.write_text(json.dumps(doc))
        logger.info("Wrote %d images and %d objects to %s", len(images), len(annotations), path)


def _image_size(sample: Any) -> tuple[int, int]:
    meta = sample.metadata if sample.has_field("metadata") else None
    if meta is not None and meta.get("width") and meta.get("height"):
        return int(meta.width), int(meta.height)
    with Image.open(sample.filepath) as img:
        return img.width, img.height
