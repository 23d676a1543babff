"""Media and thumbnails over real HTTP: range requests, caching, and refusal of foreign paths."""

from __future__ import annotations

import io
import os
from pathlib import Path

import httpx
import pytest
from PIL import Image

import labelloop as ll
from labelloop.app.thumbnails import ThumbnailCache
from tests.app.media import write_jpeg


@pytest.fixture
def client(session):
    with httpx.Client(base_url=session.url, timeout=30) as client:
        yield client


@pytest.fixture
def media_path(image_dataset):
    return image_dataset.first().filepath


@pytest.mark.parametrize(
    ("header", "start", "stop"),
    [("bytes=0-99", 0, 100), ("bytes=100-", 100, None), ("bytes=-50", -50, None)],
)
def test_media_answers_range_requests_with_the_exact_bytes(client, media_path, header, start, stop):
    data = Path(media_path).read_bytes()
    response = client.get("/media", params={"filepath": media_path}, headers={"Range": header})
    assert response.status_code == 206
    want = data[start:stop]
    assert response.content == want
    first = start if start >= 0 else len(data) + start
    assert response.headers["content-range"] == f"bytes {first}-{first + len(want) - 1}/{len(data)}"


def test_whole_media_and_unsatisfiable_ranges(client, media_path):
    data = Path(media_path).read_bytes()
    whole = client.get("/media", params={"filepath": media_path})
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["accept-ranges"] == "bytes"
    beyond = client.get(
        "/media", params={"filepath": media_path}, headers={"Range": f"bytes={len(data) + 10}-"}
    )
    assert beyond.status_code == 416


@pytest.mark.parametrize("endpoint", ["/media", "/thumb"])
def test_paths_outside_the_dataset_are_refused(client, media_path, tmp_path, endpoint):
    folder = os.path.dirname(media_path)
    stranger = write_jpeg(os.path.join(folder, "not_in_dataset.jpg"))
    outside = write_jpeg(str(tmp_path / "outside.jpg"))
    link = os.path.join(folder, "link_to_outside.jpg")
    os.symlink(outside, link)
    try:
        refused = {
            stranger: 403,  # right folder, but not a sample of the dataset
            outside: 403,
            link: 403,  # a symlink inside the media folder pointing elsewhere
            "/etc/passwd": 403,
            f"{folder}/../{os.path.basename(folder)}/{os.path.basename(media_path)}": 400,
            f"{folder}/../../../../etc/passwd": 400,
            os.path.basename(media_path): 400,  # relative
            "": 400,
            media_path + "\0.jpg": 400,
        }
        for path, status in refused.items():
            response = client.get(endpoint, params={"filepath": path})
            assert response.status_code == status, path
            assert "error" in response.json()
            assert response.content != Path(media_path).read_bytes()
    finally:
        os.unlink(link)
        os.unlink(stranger)


def test_raw_traversal_in_the_url_path_reaches_no_file(client):
    for raw in (
        "/media/../../etc/passwd",
        "/static/..%2F..%2F..%2Fetc%2Fpasswd",
        "/static/%2e%2e/server.py",
    ):
        response = client.get(raw)
        assert response.status_code == 404, raw
        assert b"root:" not in response.content and b"create_app" not in response.content


def test_a_dataset_sample_that_is_a_symlink_is_served(tmp_path):
    real = write_jpeg(str(tmp_path / "real.jpg"))
    link = str(tmp_path / "link.jpg")
    os.symlink(real, link)
    dataset = ll.Dataset()
    dataset.add_sample(ll.Sample(link))
    try:
        with ll.launch_app(dataset, port=0, auto=False) as session:
            response = httpx.get(session.url + "media", params={"filepath": link})
            assert response.status_code == 200
            assert response.content == Path(real).read_bytes()
            # Samples added after launch are served too (the allow-list reloads on a miss).
            later = write_jpeg(str(tmp_path / "later.jpg"), gray=90)
            dataset.add_sample(ll.Sample(later))
            response = httpx.get(session.url + "media", params={"filepath": later})
            assert response.status_code == 200
    finally:
        dataset.delete()


def test_thumbnails_are_made_once_and_cached_on_disk(tmp_path):
    big = str(tmp_path / "big.jpg")
    Image.new("RGB", (1024, 512), (10, 200, 30)).save(big)
    cache = ThumbnailCache(tmp_path / "thumbs", height=128)
    first = cache.get(big)
    with Image.open(first) as img:
        assert img.size == (256, 128)
    stamp = first.stat().st_mtime_ns
    assert cache.get(big) == first and first.stat().st_mtime_ns == stamp
    Image.new("RGB", (512, 512), (0, 0, 0)).save(big)  # the file changed: a new thumbnail
    second = cache.get(big)
    assert second != first
    with Image.open(second) as img:
        assert img.size == (128, 128)
    with pytest.raises(ValueError, match="height"):
        ThumbnailCache(tmp_path, height=4)


def test_thumbnail_endpoint_serves_cached_jpegs_under_labelloop_home(client, media_path):
    response = client.get("/thumb", params={"filepath": media_path})
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(response.content)) as img, Image.open(media_path) as src:
        assert img.size == src.size  # smaller than the thumbnail height: kept as is
    cached = ThumbnailCache().path_for(media_path)
    assert cached.exists() and str(cached).startswith(os.environ["LABELLOOP_HOME"])
    assert cached.read_bytes() == response.content


def test_video_thumbnail_is_its_first_frame(video_dataset):
    sample = video_dataset.first()
    with ll.launch_app(video_dataset, port=0, auto=False) as session:
        response = httpx.get(session.url + "thumb", params={"filepath": sample.filepath})
    assert response.status_code == 200
    with Image.open(io.BytesIO(response.content)) as img:
        assert img.size == (sample.metadata.frame_width, sample.metadata.frame_height)
