"""Dataset.from_dir() and export() through the dataset-type registry, on real files."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image
from pycocotools.coco import COCO

import labelloop as ll
import labelloop.types
import labelloop.zoo as foz
from labelloop.formats import DatasetType, register_dataset_type
from labelloop.formats.masks import crop_mask, paste_mask, rle_decode
from tests.formats.coco_fixture import CATEGORIES, write_coco_dataset

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pycocotools vs numpy 2


def _jpeg(path: Path, size=(32, 24), value=0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (value, 100, 200)).save(path, "JPEG")
    return path


def _mp4(path: Path, frames: int = 5) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=10)
        s.width, s.height, s.pix_fmt = 32, 32, "yuv420p"
        for i in range(frames):
            img = Image.new("RGB", (32, 32), (i * 40, 0, 0))
            for p in s.encode(av.VideoFrame.from_image(img)):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return path


def test_image_directory_import_is_recursive_sorted_and_skips_other_files(tmp_path):
    a = _jpeg(tmp_path / "imgs" / "b.jpg")
    b = _jpeg(tmp_path / "imgs" / "sub" / "a.png")
    (tmp_path / "imgs" / "notes.txt").write_text("not an image")
    _jpeg(tmp_path / "imgs" / ".hidden.jpg")
    ds = ll.Dataset.from_dir(str(tmp_path / "imgs"), dataset_type=labelloop.types.ImageDirectory,
                             tags="raw")  # fmt: skip
    assert ds.values("filepath") == [str(a), str(b)]
    assert ds.distinct("tags") == ["raw"]
    flat = ll.Dataset.from_dir(str(tmp_path / "imgs"), dataset_type="ImageDirectory",
                               recursive=False)  # fmt: skip
    assert flat.values("filepath") == [str(a)]


def test_image_directory_export_keeps_colliding_names_apart(tmp_path):
    first = _jpeg(tmp_path / "x" / "img.jpg", value=10)
    second = _jpeg(tmp_path / "y" / "img.jpg", value=250)
    ds = ll.Dataset()
    ds.add_samples([ll.Sample(str(first)), ll.Sample(str(second))])
    ds.export(str(tmp_path / "out"), dataset_type=labelloop.types.ImageDirectory)
    out = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert out == ["img-1.jpg", "img.jpg"]
    assert (tmp_path / "out" / "img.jpg").read_bytes() == first.read_bytes()
    assert (tmp_path / "out" / "img-1.jpg").read_bytes() == second.read_bytes()
    ds.export(str(tmp_path / "links"), dataset_type="ImageDirectory", export_media="symlink")
    assert (tmp_path / "links" / "img.jpg").resolve() == first.resolve()
    with pytest.raises(ValueError, match="label_field"):
        ds.export(str(tmp_path / "o2"), dataset_type="ImageDirectory", label_field="ground_truth")


def test_video_directory_round_trip(tmp_path):
    _mp4(tmp_path / "vids" / "a.mp4")
    _mp4(tmp_path / "vids" / "b.mov")
    _jpeg(tmp_path / "vids" / "still.jpg")
    ds = ll.Dataset.from_dir(str(tmp_path / "vids"), dataset_type=labelloop.types.VideoDirectory)
    assert len(ds) == 2 and ds.media_type == "video"
    ds.export(str(tmp_path / "out"), dataset_type=labelloop.types.VideoDirectory)
    with pytest.raises(ValueError, match="holds images but this collection holds videos"):
        ds.export(str(tmp_path / "bad"), dataset_type=labelloop.types.ImageDirectory)
    again = ll.Dataset.from_dir(str(tmp_path / "out"), dataset_type="VideoDirectory")
    with av.open(again.first().filepath) as c:
        assert sum(1 for _ in c.decode(video=0)) == 5


def test_coco_import_reads_boxes_attributes_masks_and_classes(tmp_path):
    doc = write_coco_dataset(tmp_path / "coco")
    ds = ll.Dataset.from_dir(
        str(tmp_path / "coco"), dataset_type=labelloop.types.COCODetectionDataset,
        label_types=["detections", "segmentations"], label_field="gt", include_id=True,
    )  # fmt: skip
    assert len(ds) == len(doc["images"])
    assert ds.classes["gt_detections"] == [c["name"] for c in CATEGORIES]
    by_image = {img["id"]: img for img in doc["images"]}
    anns = {a["id"]: a for a in doc["annotations"]}
    n = 0
    for sample in ds:
        img = by_image[sample.coco_id]
        w, h = img["width"], img["height"]
        assert sample.metadata.width == w and Path(sample.filepath).name == img["file_name"]
        own = [a for a in anns.values() if a["image_id"] == img["id"]]
        dets, segs = sample.gt_detections.detections, sample.gt_segmentations.detections
        assert len(dets) == len(segs) == len(own)
        for ann, det, seg in zip(own, dets, segs):
            n += 1
            x, y, bw, bh = ann["bbox"]
            assert np.allclose(det.bounding_box, [x / w, y / h, bw / w, bh / h])
            assert det.iscrowd == ann["iscrowd"] and det.mask is None
            assert det.label == {c["id"]: c["name"] for c in CATEGORIES}[ann["category_id"]]
            if "occluded" in ann:
                assert det.occluded == ann["occluded"]
            if ann["iscrowd"]:  # RLE: exact
                assert np.array_equal(
                    seg.mask, crop_mask(rle_decode(ann["segmentation"]), seg.bounding_box)
                )
            assert seg.mask.shape == (round(bh), round(bw)) and seg.mask.mean() > 0.3
    assert n == len(anns)


def test_coco_export_is_read_by_pycocotools_and_round_trips(tmp_path):
    quick = foz.load_zoo_dataset("quickstart").limit(12)
    quick.export(str(tmp_path / "exp"), dataset_type=labelloop.types.COCODetectionDataset,
                 label_field="ground_truth")  # fmt: skip
    coco = COCO(str(tmp_path / "exp" / "labels.json"))
    assert len(coco.getImgIds()) == 12
    assert len(coco.getAnnIds()) == sum(len(s.ground_truth.detections) for s in quick)
    back = ll.Dataset.from_dir(str(tmp_path / "exp"), dataset_type="COCODetectionDataset",
                               label_types="segmentations")  # fmt: skip
    masks = 0
    for src, dst in zip(quick, back):
        assert Path(dst.filepath).read_bytes() == Path(src.filepath).read_bytes()
        w, h = Image.open(src.filepath).size
        for a, b in zip(src.ground_truth.detections, dst.ground_truth.detections):
            assert (a.label, a.iscrowd) == (b.label, b.iscrowd)
            assert np.allclose(a.bounding_box, b.bounding_box, atol=0.01 / min(w, h))
            if a.mask is not None:
                masks += 1
                assert np.array_equal(paste_mask(a.bounding_box, a.mask, w, h),
                                      paste_mask(b.bounding_box, b.mask, w, h))  # fmt: skip
                ann = coco.loadAnns(coco.getAnnIds(imgIds=[quick.values("id").index(src.id) + 1]))
                assert any(isinstance(x.get("segmentation"), dict) for x in ann)
    assert masks > 0


def test_coco_export_options_and_errors(tmp_path):
    quick = foz.load_zoo_dataset("quickstart").limit(2)
    quick.export(str(tmp_path / "e"), dataset_type="COCODetectionDataset", label_field="predictions",
                 export_media=False, classes=sorted(set(quick.distinct("predictions.detections.label")) | {"zebra"}))  # fmt: skip
    doc = json.loads((tmp_path / "e" / "labels.json").read_text())
    assert doc["images"][0]["file_name"] == quick.first().filepath
    assert "zebra" in [c["name"] for c in doc["categories"]]
    assert all("score" in a for a in doc["annotations"])
    assert not (tmp_path / "e" / "data").exists()
    with pytest.raises(ValueError, match="classes lacks"):
        quick.export(str(tmp_path / "f"), dataset_type="COCODetectionDataset",
                     label_field="ground_truth", classes=["cat"])  # fmt: skip
    with pytest.raises(ValueError, match="not a field"):
        quick.export(str(tmp_path / "g"), dataset_type="COCODetectionDataset", label_field="nope")
    with pytest.raises(ValueError, match="export_dir"):
        quick.export(dataset_type="COCODetectionDataset", label_field="ground_truth")


def test_bad_type_or_option_creates_nothing(tmp_path):
    write_coco_dataset(tmp_path / "coco")
    before = ll.list_datasets()
    with pytest.raises(ValueError, match="registered types: .*COCODetectionDataset"):
        ll.Dataset.from_dir(str(tmp_path / "coco"), dataset_type="YOLOv5Dataset")
    with pytest.raises(ValueError, match="'labels_file'.*accepted options: .*labels_path"):
        ll.Dataset.from_dir(str(tmp_path / "coco"), dataset_type="COCODetectionDataset",
                            labels_file="x.json")  # fmt: skip
    with pytest.raises(ValueError, match="label_types"):
        ll.Dataset.from_dir(str(tmp_path / "coco"), dataset_type="COCODetectionDataset",
                            label_types=["keypoints"])  # fmt: skip
    with pytest.raises(ValueError, match="dataset_type is required"):
        ll.Dataset.from_dir(str(tmp_path / "coco"))
    assert ll.list_datasets() == before


def test_registering_a_new_type_is_one_decorator(tmp_path):
    @register_dataset_type
    class ListFileDataset(DatasetType):
        """Paths listed one per line in ``files.txt``."""

        def read(self, dataset_dir):
            from labelloop.formats import ImportedSample

            for line in (dataset_dir / "files.txt").read_text().split():
                yield ImportedSample(str(dataset_dir / line))

    _jpeg(tmp_path / "a.jpg")
    (tmp_path / "files.txt").write_text("a.jpg\n")
    assert labelloop.types.ListFileDataset is ListFileDataset
    ds = ll.Dataset.from_dir(str(tmp_path), dataset_type="labelloop.types.ListFileDataset")
    assert ds.values("filepath") == [str(tmp_path / "a.jpg")]
    with pytest.raises(ValueError, match="does not support export"):
        ds.export(str(tmp_path / "o"), dataset_type=ListFileDataset)
