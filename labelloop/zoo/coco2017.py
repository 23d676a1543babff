"""COCO-2017 detection from cocodataset.org: download, verify, import.

The official annotation archive is downloaded (resumable, MD5-checked) and
the split's ``instances_*.json`` extracted. A full split fetches the
official image archive (MD5-checked); with ``max_samples`` only the chosen
images are fetched one by one from their ``coco_url`` (COCO publishes no
per-image checksums, so each is checked to decode as an image instead).
Media lives under ``<zoo dir>/coco-2017/<split>/data``.
"""

from __future__ import annotations

import logging
import os
import shutil
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from labelloop.formats.coco import check_label_types, coco_samples
from labelloop.formats.coco_json import read_coco_json
from labelloop.formats.io import select_samples
from labelloop.formats.registry import ImportedSample
from labelloop.progress import bar
from labelloop.zoo.download import DownloadError, download
from labelloop.zoo.media_cache import atomic_write
from labelloop.zoo.sources import LoadRequest, ZooSource, register_source

logger = logging.getLogger(__name__)

#: Official archives with their published MD5 sums and sizes.
RESOURCES: dict[str, dict[str, Any]] = {
    "annotations": {
        "url": "http://images.cocodataset.org/annotations/annotations_trainval2017.zip",
        "md5": "f4bbac642086de4f52a3fdda2de5fa2c",
        "size": 252907541,
    },
    "validation": {
        "url": "http://images.cocodataset.org/zips/val2017.zip",
        "md5": "442b8da7639aecaf257c1dceb8ba8c80",
        "size": 815585330,
    },
    "train": {
        "url": "http://images.cocodataset.org/zips/train2017.zip",
        "md5": "cced6f7f71b7629ddf16f17bbcfab6b2",
        "size": None,
    },
}
_COCO_SPLIT = {"validation": "val2017", "train": "train2017"}


class COCO2017(ZooSource):
    """COCO-2017 object detection (train/validation), 80 classes."""

    name = "coco-2017"
    description = "COCO-2017 detection (train/validation); downloaded from cocodataset.org"
    splits = ("train", "validation")
    label_types = ("detections", "segmentations")
    requires_download = True

    def load(self, root: Path, request: LoadRequest) -> list[ImportedSample]:
        split = request.split
        if split not in self.splits:
            raise ValueError(f"split must be one of {self.splits} for coco-2017, got {split!r}")
        types = check_label_types(request.label_types)
        labels = annotations_file(root, split)
        coco = read_coco_json(labels)
        ids = [img["id"] for img in coco.images]
        chosen = select_samples(ids, request.max_samples, request.shuffle, request.seed)
        data_dir = root / split / "data"
        if request.max_samples is None:
            fetch_split_images(root, split)
        else:
            by_id = {img["id"]: img for img in coco.images}
            fetch_images([by_id[i] for i in chosen], data_dir)
        return list(coco_samples(coco, data_dir, label_types=types, image_ids=chosen))


def annotations_file(root: Path, split: str) -> Path:
    """The split's ``instances_*.json``, downloading and extracting it when missing."""
    name = f"instances_{_COCO_SPLIT[split]}.json"
    out = root / "raw" / name
    if out.is_file():
        return out
    res = RESOURCES["annotations"]
    archive = download(
        res["url"], root / "raw" / "annotations_trainval2017.zip", md5=res["md5"], size=res["size"]
    )
    with zipfile.ZipFile(archive) as zf:
        member = f"annotations/{name}"
        if member not in zf.namelist():
            raise DownloadError(f"{archive} has no {member}; the archive is not COCO-2017's")
        atomic_write(out, lambda f: shutil.copyfileobj(zf.open(member), f))
    return out


def fetch_split_images(root: Path, split: str) -> Path:
    """Download and unpack the official image archive of ``split`` (once)."""
    data_dir = root / split / "data"
    done = root / split / ".images-complete"
    if done.is_file():
        return data_dir
    res = RESOURCES[split]
    archive = download(
        res["url"], root / "raw" / f"{_COCO_SPLIT[split]}.zip", md5=res["md5"], size=res["size"]
    )
    data_dir.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            target = data_dir / os.path.basename(info.filename)
            if not target.is_file():
                atomic_write(target, lambda f, i=info: shutil.copyfileobj(zf.open(i), f))
    done.write_text("ok")
    return data_dir


def fetch_images(images: Sequence[dict[str, Any]], data_dir: Path, progress: bool = True) -> None:
    """Download the given COCO images (``coco_url``) that are not already present."""
    missing = [img for img in images if not (data_dir / img["file_name"]).is_file()]
    if not missing:
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    with httpx.Client(follow_redirects=True, timeout=60.0) as client:
        for img in bar(missing, desc="images", unit="img", show=progress):
            url = img.get("coco_url") or img.get("flickr_url")
            if not url:
                raise DownloadError(f"COCO image {img['id']} has no coco_url to download from")
            path = download(url, data_dir / img["file_name"], client=client, progress=False)
            _check_image(path, url)


def _check_image(path: Path, url: str) -> None:
    try:
        with Image.open(path) as im:
            im.verify()
    except Exception as exc:  # noqa: BLE001 (any decoder error means a bad download)
        path.unlink(missing_ok=True)
        raise DownloadError(f"{url} is not a readable image ({exc}); removed, call again") from exc


register_source(COCO2017())
