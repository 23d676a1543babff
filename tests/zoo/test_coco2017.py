"""The COCO-2017 zoo source end to end against a local server standing in for cocodataset.org."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import numpy as np
import pytest

import labelloop.zoo as foz
from labelloop.zoo import coco2017
from tests.formats.coco_fixture import coco_document, write_images
from tests.zoo.http_files import FileServer


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.fixture
def fake_coco(tmp_path, monkeypatch):
    images = {p.name: p.read_bytes() for p in write_images(tmp_path / "src")}
    with FileServer({}) as srv:
        doc = coco_document(base_url=srv.url)
        ann_zip = _zip({"annotations/instances_val2017.json": json.dumps(doc).encode()})
        val_zip = _zip({f"val2017/{n}": b for n, b in images.items()})
        srv.files.update({"/ann.zip": ann_zip, "/val.zip": val_zip})
        srv.files.update({f"/val2017/{n}": b for n, b in images.items()})
        resources = {
            "annotations": {"url": f"{srv.url}/ann.zip", "md5": hashlib.md5(ann_zip).hexdigest(),
                            "size": len(ann_zip)},
            "validation": {"url": f"{srv.url}/val.zip", "md5": hashlib.md5(val_zip).hexdigest(),
                           "size": len(val_zip)},
        }  # fmt: skip
        monkeypatch.setattr(coco2017, "RESOURCES", resources)
        monkeypatch.setenv("LABELLOOP_ZOO_DIR", str(tmp_path / "zoo"))
        yield srv, doc


def test_partial_split_downloads_only_the_chosen_images(fake_coco):
    srv, doc = fake_coco
    ds = foz.load_zoo_dataset(
        "coco-2017", split="validation", max_samples=2, label_types=["detections", "segmentations"]
    )
    assert ds.name == "coco-2017-validation-2" and len(ds) == 2
    chosen = [f"/val2017/{img['file_name']}" for img in doc["images"][:2]]
    assert srv.paths == ["/ann.zip", *chosen]  # no image archive, no other images
    first = ds.first()
    assert first.ground_truth_detections.detections[0].label == "car"
    assert first.ground_truth_detections.detections[0].occluded is False
    seg = first.ground_truth_segmentations.detections[0]
    assert seg.mask is not None and seg.mask.dtype == bool and seg.mask.any()
    crowd = [d for s in ds for d in s.ground_truth_detections.detections if d.iscrowd]
    assert [d.label for d in crowd] == ["person"]
    assert (
        foz.zoo_dir() / "coco-2017" / "validation" / "data" / doc["images"][0]["file_name"]
    ).is_file()


def test_full_split_uses_the_verified_archive(fake_coco):
    srv, doc = fake_coco
    ds = foz.load_zoo_dataset("coco-2017", split="validation")
    assert ds.name == "coco-2017-validation" and len(ds) == len(doc["images"])
    boxes = [
        b for per_sample in ds.values("ground_truth.detections.bounding_box") for b in per_sample
    ]
    assert len(boxes) == len(doc["annotations"])
    w, h = doc["images"][0]["width"], doc["images"][0]["height"]
    assert np.allclose(boxes[0], [2 / w, 3 / h, 0.5, 1 / 3])
    assert "/val.zip" in srv.paths
    assert ds.first().metadata.width == w


def test_corrupt_archive_is_refused(fake_coco, monkeypatch):
    srv, _ = fake_coco
    bad = dict(coco2017.RESOURCES)
    bad["annotations"] = {**bad["annotations"], "md5": "0" * 32}
    monkeypatch.setattr(coco2017, "RESOURCES", bad)
    with pytest.raises(foz.download.DownloadError, match="did not verify"):
        foz.load_zoo_dataset("coco-2017", split="validation", max_samples=1)


def test_bad_split_and_label_types():
    with pytest.raises(ValueError, match="Unknown split"):
        foz.load_zoo_dataset("coco-2017", split="val")
    with pytest.raises(ValueError, match="label_types"):
        foz.load_zoo_dataset("coco-2017", split="validation", label_types="keypoints")
