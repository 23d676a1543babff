"""How media files are named and grouped before they travel."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labelloop.cvat.upload import DataOptions, plan_upload, unique_names


def test_duplicate_basenames_become_unique_and_keep_extensions():
    names = unique_names(["/a/img.jpg", "/b/img.jpg", "/c/img.jpg", "/d/other.png", "/e/img-1.jpg"])
    assert names[0] == "img.jpg" and names[3] == "other.png"
    assert len(set(names)) == 5
    assert all(n.endswith(".jpg") for n in names[:3])


@given(
    st.lists(st.integers(min_value=0, max_value=300), max_size=60),
    st.integers(1, 250),
    st.integers(1, 8),
)
def test_groups_respect_the_limits_and_keep_order(sizes, limit, max_files):
    plan = plan_upload(sizes, limit, max_files)
    grouped = [i for group in plan.groups for i in group]
    assert sorted(grouped + plan.tus) == list(range(len(sizes)))
    assert grouped == sorted(grouped)
    assert all(sizes[i] > limit for i in plan.tus)
    assert all(sum(sizes[i] for i in g) <= limit and len(g) <= max_files for g in plan.groups)
    assert plan.total_bytes == sum(sizes)


def test_data_options_fields_and_validation():
    fields = DataOptions(image_quality=90, chunk_size=8, frame_step=2, start_frame=1).fields()
    # JSON types of CVAT's DataRequest: the Upload-Finish body is JSON, never form-encoded
    assert fields == {
        "image_quality": 90,
        "use_cache": True,
        "use_zip_chunks": True,
        "chunk_size": 8,
        "start_frame": 1,
        "frame_filter": "step=2",
    }
    with pytest.raises(ValueError, match="image_quality"):
        DataOptions(image_quality=0)
    with pytest.raises(ValueError, match="frame_step"):
        DataOptions(frame_step=0)
