"""COCO detection JSON: reading annotation files and writing them back.

Works on plain dicts and labelloop labels only (no dataset), so the zoo's
COCO-2017 importer and the ``COCODetectionDataset`` type share it. Boxes are
absolute ``[x, y, w, h]`` pixels in the file and relative in labels; every
object keeps COCO's ``iscrowd`` flag as an attribute, and instance masks come
from polygons or RLE and are stored at the box's pixel size.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labelloop.core.labels import Detection, Detections
from labelloop.formats.masks import (
    crop_mask,
    paste_mask,
    polygons_to_mask,
    rle_decode,
    rle_encode,
)

#: Keys of a COCO annotation that labelloop maps to label fields itself.
_STANDARD_KEYS = {"id", "image_id", "category_id", "bbox", "segmentation", "area", "score"}


@dataclass
class CocoFile:
    """The parts of a COCO annotation file that import needs."""

    images: list[dict[str, Any]]
    categories: list[dict[str, Any]]
    annotations: dict[Any, list[dict[str, Any]]] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def class_names(self) -> dict[Any, str]:
        """Category id -> name."""
        return {c["id"]: c["name"] for c in self.categories}

    @property
    def classes(self) -> list[str]:
        """Category names in category-id order."""
        return [c["name"] for c in sorted(self.categories, key=lambda c: c["id"])]


def read_coco_json(source: str | os.PathLike[str] | dict[str, Any]) -> CocoFile:
    """Parse a COCO annotation file (path or already-loaded dict)."""
    if isinstance(source, dict):
        data = source
    else:
        with open(source, encoding="utf-8") as f:
            data = json.load(f)
    if not isinstance(data, dict) or "images" not in data:
        raise ValueError(f"{source!r} is not a COCO annotation file: no 'images' list")
    by_image: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for ann in data.get("annotations") or []:
        by_image[ann["image_id"]].append(ann)
    return CocoFile(
        images=list(data["images"]),
        categories=list(data.get("categories") or []),
        annotations=dict(by_image),
        info=dict(data.get("info") or {}),
    )


def to_detections(
    anns: Iterable[dict[str, Any]],
    width: int,
    height: int,
    class_names: dict[Any, str],
    with_masks: bool = False,
    extra_attrs: bool = True,
) -> Detections:
    """Labels of one image from its COCO annotations."""
    dets = []
    for ann in anns:
        x, y, w, h = (float(v) for v in ann["bbox"])
        box = [x / width, y / height, w / width, h / height]
        det = Detection(
            label=class_names.get(ann.get("category_id"), str(ann.get("category_id"))),
            bounding_box=box,
            iscrowd=int(ann.get("iscrowd", 0) or 0),
        )
        if ann.get("score") is not None:
            det.confidence = float(ann["score"])
        if extra_attrs:
            for key, value in ann.items():
                if key not in _STANDARD_KEYS and key != "iscrowd" and _is_scalar(value):
                    det[key] = value
        seg = ann.get("segmentation")
        if with_masks and seg:
            frame = (
                polygons_to_mask(seg, width, height) if isinstance(seg, list) else rle_decode(seg)
            )
            det.mask = crop_mask(frame, box)
        dets.append(det)
    return Detections(detections=dets)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def to_annotations(
    detections: Sequence[Detection],
    image_id: Any,
    width: int,
    height: int,
    category_ids: dict[str, int],
    first_id: int = 1,
) -> list[dict[str, Any]]:
    """COCO annotations of one image; masks are written as compressed RLE."""
    out = []
    for k, det in enumerate(detections):
        x, y, w, h = det.bounding_box
        bbox = [x * width, y * height, w * width, h * height]
        ann: dict[str, Any] = {
            "id": first_id + k,
            "image_id": image_id,
            "category_id": category_ids[det.label],
            "bbox": [round(v, 2) for v in bbox],
            "iscrowd": int(det.get_field("iscrowd", 0) or 0),
        }
        if det.mask is not None:
            frame = paste_mask(det.bounding_box, det.mask, width, height)
            ann["segmentation"] = rle_encode(frame)
            ann["area"] = float(frame.sum())
        else:
            ann["area"] = round(bbox[2] * bbox[3], 2)
        if det.confidence is not None:
            ann["score"] = float(det.confidence)
        for name, value in det.iter_attributes():
            if name != "iscrowd" and name not in ann and _is_scalar(value):
                ann[name] = _plain(value)
        out.append(ann)
    return out


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def categories_for(classes: Sequence[str]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """COCO categories (ids from 1) for ``classes`` and the name -> id map."""
    cats = [{"id": i, "name": name, "supercategory": None} for i, name in enumerate(classes, 1)]
    return cats, {c["name"]: c["id"] for c in cats}
