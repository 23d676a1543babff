"""A small COCO-format dataset written by the tests: real JPEGs plus annotation JSON.

Category ids are sparse like COCO's; objects include a polygon segmentation, a
crowd region in uncompressed RLE, and an extra custom attribute.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

SIZES = [(64, 48), (80, 60), (50, 50), (40, 72)]
CATEGORIES = [
    {"id": 1, "name": "person", "supercategory": "person"},
    {"id": 3, "name": "car", "supercategory": "vehicle"},
    {"id": 18, "name": "dog", "supercategory": "animal"},
]


def _crowd_rle(width: int, height: int) -> dict:
    mask = np.zeros((height, width), bool)
    mask[5:20, 10:30] = True
    flat = mask.T.ravel()
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    runs = np.diff(np.concatenate([[0], change, [flat.size]])).tolist()
    return {"size": [height, width], "counts": runs}


def coco_document(base_url: str | None = None) -> dict:
    """The annotation JSON (``coco_url`` set when ``base_url`` is given)."""
    images, anns = [], []
    for i, (w, h) in enumerate(SIZES, start=1):
        img = {"id": 100 + i, "file_name": f"{100 + i:012d}.jpg", "width": w, "height": h}
        if base_url:
            img["coco_url"] = f"{base_url}/val2017/{img['file_name']}"
        images.append(img)
        anns.append({
            "id": len(anns) + 1, "image_id": img["id"], "category_id": 3,
            "bbox": [2.0, 3.0, w / 2, h / 3], "area": w * h / 6, "iscrowd": 0,
            "segmentation": [[2.0, 3.0, 2 + w / 2, 3.0, 2 + w / 2, 3 + h / 3, 2.0, 3 + h / 3]],
            "occluded": i % 2 == 0,
        })  # fmt: skip
        if i % 2:
            anns.append({
                "id": len(anns) + 1, "image_id": img["id"], "category_id": 18,
                "bbox": [w / 2, h / 2, w / 4, h / 4], "area": w * h / 16, "iscrowd": 0,
                "segmentation": [[w / 2, h / 2, 3 * w / 4, h / 2, w / 2, 3 * h / 4]],
            })  # fmt: skip
        if i == 2:
            anns.append({
                "id": len(anns) + 1, "image_id": img["id"], "category_id": 1,
                "bbox": [10.0, 5.0, 20.0, 15.0], "area": 300.0, "iscrowd": 1,
                "segmentation": _crowd_rle(w, h),
            })  # fmt: skip
    return {"info": {"description": "test"}, "images": images, "categories": CATEGORIES,
            "annotations": anns}  # fmt: skip


def write_images(data_dir: Path, seed: int = 0) -> list[Path]:
    """Write the fixture's JPEGs into ``data_dir``."""
    rng = np.random.default_rng(seed)
    data_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, (w, h) in enumerate(SIZES, start=1):
        path = data_dir / f"{100 + i:012d}.jpg"
        Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(path, "JPEG")
        paths.append(path)
    return paths


def write_coco_dataset(root: Path) -> dict:
    """``root/data/*.jpg`` + ``root/labels.json``; returns the JSON document."""
    write_images(root / "data")
    doc = coco_document()
    (root / "labels.json").write_text(json.dumps(doc))
    return doc
