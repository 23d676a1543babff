"""Mask geometry and COCO RLE, checked against pycocotools."""

from __future__ import annotations

import numpy as np
import pytest
from pycocotools import mask as coco_mask

from labelloop.formats.masks import (
    crop_mask,
    paste_mask,
    polygons_to_mask,
    rle_decode,
    rle_encode,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pycocotools vs numpy 2


def _masks(seed: int):
    rng = np.random.default_rng(seed)
    yield np.zeros((7, 9), bool)
    yield np.ones((5, 3), bool)
    for _ in range(30):
        h, w = rng.integers(1, 80, 2)
        yield rng.random((h, w)) < rng.random()


@pytest.mark.parametrize("seed", [0, 1])
def test_rle_encoding_is_byte_identical_to_pycocotools(seed):
    for mask in _masks(seed):
        ours = rle_encode(mask)
        ref = coco_mask.encode(np.asfortranarray(mask.astype(np.uint8)))
        assert ours["counts"] == ref["counts"].decode()
        assert ours["size"] == [int(v) for v in ref["size"]]


@pytest.mark.parametrize("seed", [2, 3])
def test_rle_decoding_of_pycocotools_output(seed):
    for mask in _masks(seed):
        ref = coco_mask.encode(np.asfortranarray(mask.astype(np.uint8)))
        assert np.array_equal(rle_decode(ref), mask)  # compressed, bytes counts
        uncompressed = {"size": list(mask.shape), "counts": _runs(mask)}
        assert np.array_equal(rle_decode(uncompressed), mask)


def _runs(mask):
    flat = mask.T.ravel()
    runs, current, n = [], False, 0
    for v in flat:
        if v != current:
            runs.append(n)
            current, n = v, 0
        n += 1
    runs.append(n)
    return runs


def test_corrupt_rle_is_rejected():
    with pytest.raises(ValueError, match="corrupt"):
        rle_decode({"size": [4, 4], "counts": [3, 2]})


def test_polygon_raster_agrees_with_pycocotools():
    poly = [[10.0, 10.0, 50.0, 12.0, 40.0, 40.0, 12.0, 35.0]]
    ours = polygons_to_mask(poly, 64, 48)
    ref = coco_mask.decode(coco_mask.merge(coco_mask.frPyObjects(poly, 48, 64))).astype(bool)
    iou = (ours & ref).sum() / (ours | ref).sum()
    assert iou > 0.9


def test_paste_and_crop_round_trip():
    rng = np.random.default_rng(0)
    box = [0.25, 0.5, 0.5, 0.25]  # 20x5 pixels in a 40x20 frame
    mask = rng.random((5, 20)) < 0.5
    frame = paste_mask(box, mask, 40, 20)
    assert frame.shape == (20, 40) and frame.sum() == mask.sum()
    assert np.array_equal(frame[10:15, 10:30], mask)
    assert np.array_equal(crop_mask(frame, box), mask)
    # a missing mask fills its box; boxes partly outside the frame are clipped
    assert paste_mask(box, None, 40, 20).sum() == 100
    assert paste_mask([0.9, 0.9, 0.5, 0.5], None, 40, 20).sum() == 4 * 2
