"""CVAT mask RLE against a slow, obviously-correct reference implementation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from labelloop.cvat import rle
from tests.cvat_convert.helpers import FAST


def slow_encode(mask: np.ndarray) -> list[int]:
    """Pixel-by-pixel run counting, starting with a (possibly empty) zero run."""
    runs = [0]
    current = False
    for pixel in mask.reshape(-1).tolist():
        if bool(pixel) == current:
            runs[-1] += 1
        else:
            runs.append(1)
            current = bool(pixel)
    return runs


def slow_decode(runs: list[int], width: int, height: int) -> np.ndarray:
    out = [False] * (width * height)
    position, value = 0, False
    for run in runs:
        for _ in range(run):
            out[position] = value
            position += 1
        value = not value
    return np.array(out, dtype=bool).reshape(height, width)


MASKS = hnp.arrays(
    dtype=np.uint8,
    shape=hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=40),
    elements=st.integers(0, 3),
)


@FAST
@given(MASKS)
def test_encode_matches_reference_and_decodes_back(mask):
    runs = rle.encode(mask)
    assert runs == slow_encode(mask)
    assert all(isinstance(r, int) for r in runs)
    height, width = mask.shape
    decoded = rle.decode(runs, width, height)
    assert decoded.dtype == bool
    np.testing.assert_array_equal(decoded, mask != 0)
    np.testing.assert_array_equal(decoded, slow_decode(runs, width, height))


@FAST
@given(MASKS, st.integers(0, 5000), st.integers(0, 5000))
def test_points_round_trip_with_inclusive_box(mask, left, top):
    points = rle.mask_to_points(mask, left, top)
    height, width = mask.shape
    assert points[-4:] == [left, top, left + width - 1, top + height - 1]
    assert sum(points[:-4]) == mask.size  # whole box covered, as CVAT's XML requires
    back, got_left, got_top = rle.points_to_mask(points)
    assert (got_left, got_top) == (left, top)
    np.testing.assert_array_equal(back, mask != 0)


def test_cvat_documented_examples():
    # The two examples of CVAT's own encoder documentation.
    assert rle.encode(np.array([[0, 0, 0, 1]])) == [3, 1]
    assert rle.encode(np.array([[1, 1, 0, 0]])) == [0, 2, 2]
    np.testing.assert_array_equal(rle.decode([3, 1], 4, 1), [[False, False, False, True]])


def test_short_rle_pads_with_zeros_and_overlong_rle_is_refused():
    np.testing.assert_array_equal(rle.decode([1, 2], 2, 2), [[False, True], [True, False]])
    with pytest.raises(ValueError, match="covers 5 pixels"):
        rle.decode([1, 4], 2, 2)
    with pytest.raises(ValueError, match="whole run lengths"):
        rle.decode([1.5, 2], 2, 2)
    with pytest.raises(ValueError, match="empty"):
        rle.points_to_mask([4, 3, 3, 2, 2])


def test_4k_mask_round_trip():
    rng = np.random.default_rng(0)
    mask = rng.random((2160, 3840)) < 0.5
    runs = rle.encode(mask)
    assert sum(runs) == mask.size
    np.testing.assert_array_equal(rle.decode(runs, 3840, 2160), mask)
