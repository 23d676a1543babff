"""The offline quickstart zoo dataset: real JPEGs, COCO-like labels, naming and reuse."""

from __future__ import annotations

import os

import numpy as np
from PIL import Image

import labelloop as ll
import labelloop.zoo as foz
from labelloop.formats.masks import box_pixels
from labelloop.zoo import quickstart as qs
from tests.zoo.conftest import load_offline


def test_two_hundred_real_jpegs_of_varied_sizes(quickstart):
    assert len(quickstart) == 200 and quickstart.name == "quickstart"
    sizes = set()
    for path in quickstart.values("filepath"):
        assert path.startswith(os.fspath(foz.zoo_dir()))
        with Image.open(path) as img:
            assert img.format == "JPEG"
            sizes.add(img.size)
    assert len(sizes) >= 5


def test_ground_truth_is_coco_like(quickstart):
    gts = [d for s in quickstart for d in s.ground_truth.detections]
    assert 1000 < len(gts) < 1600
    assert len({d.label for d in gts}) == 12
    assert {d.iscrowd for d in gts} == {0, 1}
    assert 0 < sum(d.iscrowd for d in gts) < 20
    for d in gts:
        x, y, w, h = d.bounding_box
        assert 0 <= x and 0 <= y and w > 0 and h > 0 and x + w <= 1 + 1e-9 and y + h <= 1 + 1e-9


def test_instance_masks_have_the_box_pixel_size(quickstart):
    masked = 0
    for sample in quickstart:
        with Image.open(sample.filepath) as img:
            width, height = img.size
        for det in sample.ground_truth.detections:
            if det.mask is None:
                continue
            masked += 1
            x, y, w, h = box_pixels(det.bounding_box, width, height)
            assert det.mask.dtype == bool and det.mask.shape == (h, w)
            assert 0 < det.mask.sum() < det.mask.size
    assert 10 <= masked <= 150


def test_predictions_tags_and_uniqueness(quickstart):
    preds = [d for s in quickstart for d in s.predictions.detections]
    conf = np.array([d.confidence for d in preds])
    assert len(preds) > 1500 and np.all((conf > 0) & (conf < 1))
    assert (conf > 0.8).sum() > 100 and (conf < 0.3).sum() > 100
    assert quickstart.distinct("tags") == ["validation"]
    u = np.array(quickstart.values("uniqueness"))
    assert u.min() == 0.0 and u.max() == 1.0 and len(np.unique(u)) > 150


def test_loading_again_returns_the_existing_dataset(quickstart):
    again = load_offline("quickstart")
    assert again == quickstart
    sample = quickstart.first()
    assert again.first().ground_truth.detections[0].id == sample.ground_truth.detections[0].id


def test_subsets_are_named_like_the_reference_and_reuse_media(quickstart):
    path = quickstart.first().filepath
    before = os.stat(path).st_mtime_ns
    small = load_offline("quickstart", max_samples=20)
    assert small.name == "quickstart-20" and len(small) == 20
    assert small.values("filepath") == quickstart.values("filepath")[:20]
    fresh = load_offline("quickstart", max_samples=20, drop_existing_dataset=True)
    assert fresh.name == "quickstart-20" and fresh != small
    shuffled = load_offline("quickstart", max_samples=5, shuffle=True, seed=3)
    assert shuffled.name == "quickstart-5-shuffled-3"
    picked = shuffled.values("filepath")
    assert picked != quickstart.values("filepath")[:5]
    again = load_offline(
        "quickstart", max_samples=5, shuffle=True, seed=3, drop_existing_dataset=True
    )
    assert again.values("filepath") == picked
    named = load_offline("quickstart", dataset_name="my-copy", max_samples=3, persistent=True)
    assert named.name == "my-copy" and named.persistent and ll.dataset_exists("my-copy")
    assert os.stat(path).st_mtime_ns == before  # media written once, then reused


def test_generation_is_deterministic():
    a = qs.render(qs.scene_spec(17))
    b = qs.render(qs.scene_spec(17))
    assert np.array_equal(np.asarray(a), np.asarray(b))
    s1, s2 = qs.load_samples(foz.zoo_dir() / "quickstart", [17, 18])[0], qs.scene_spec(17)
    assert len(s1.fields["ground_truth"].detections) == len(s2.objects)
    assert np.asarray(a).shape[:2] == (s2.height, s2.width)


def test_unknown_zoo_name_and_bad_arguments_are_clear():
    import pytest

    with pytest.raises(ValueError, match="available: .*quickstart"):
        foz.load_zoo_dataset("quikstart")
    with pytest.raises(ValueError, match="no splits"):
        foz.load_zoo_dataset("quickstart", split="train")
    with pytest.raises(ValueError, match="max_samples"):
        foz.load_zoo_dataset("quickstart", max_samples=-1)
    assert {"quickstart", "quickstart-video", "coco-2017"} <= set(foz.list_zoo_datasets())
