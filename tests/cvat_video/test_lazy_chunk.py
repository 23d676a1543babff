"""A video's download is made when the merge reads it, once, and released after."""

from __future__ import annotations

import pytest

from labelloop.cvat.video_download import LazyChunk


def test_converts_once_on_first_read_and_releases_after_every_field():
    calls = []

    def convert():
        calls.append(1)
        return {"frames.a": {"detections": {1: {}}}, "frames.b": {"scalar": {2: "x"}}}

    chunk = LazyChunk(convert, ["frames.a", "frames.b"])
    assert calls == [] and list(chunk) == ["frames.a", "frames.b"] and len(chunk) == 2
    assert chunk.get("frames.a") == {"detections": {1: {}}}
    assert chunk.get("frames.missing", {}) == {}
    assert chunk["frames.b"] == {"scalar": {2: "x"}}
    assert calls == [1]
    with pytest.raises(RuntimeError, match="already merged"):
        chunk.get("frames.a")
