"""The App's JSON API over real HTTP: description, paging, filters, samples, frames, masks."""

from __future__ import annotations

import base64
import io
import json

import httpx
import numpy as np
import pytest
from PIL import Image

import labelloop as ll
from labelloop import ViewField as F
from labelloop.app.colors import color_for


@pytest.fixture
def client(session):
    with httpx.Client(base_url=session.url, timeout=30) as client:
        yield client


def _all_samples(client, filters=None, page=7):
    params = {"limit": page}
    if filters is not None:
        params["filters"] = json.dumps(filters)
    out, offset, total = [], 0, None
    while total is None or offset < total:
        data = client.get("/api/samples", params={**params, "offset": offset}).json()
        total = data["total"]
        out.extend(data["samples"])
        offset += page
    assert len(out) == total
    return out


def test_description_and_statistics_list_fields_classes_tags_and_bounds(client, image_dataset):
    info = client.get("/api/dataset").json()
    samples = list(image_dataset)
    assert info["name"] == image_dataset.name
    assert info["count"] == len(samples)
    kinds = {f["name"]: f["cls"] for f in info["label_fields"]}
    assert kinds == {
        "ground_truth": "Detections",
        "predictions": "Detections",
        "weather": "Classification",
        "lanes": "Polylines",
        "joints": "Keypoints",
        "road": "Segmentation",
    }
    assert info["numeric_fields"] == [{"name": "score", "kind": "float"}]

    stats = client.get("/api/dataset/stats").json()
    fields = stats["label_fields"]
    gt_classes = {d.label for s in samples for d in s.ground_truth.detections}
    assert fields["ground_truth"]["classes"] == sorted(gt_classes)
    assert fields["predictions"]["has_confidence"] and not fields["ground_truth"]["has_confidence"]
    evals = {d["eval"] for s in samples for d in s.predictions.detections}
    assert fields["predictions"]["attributes"] == {"eval": sorted(evals)}
    tags = {}
    for s in samples:
        for tag in s.tags:
            tags[tag] = tags.get(tag, 0) + 1
    assert stats["tags"] == tags
    scores = [s.score for s in samples]
    assert stats["numeric_fields"] == {"score": [min(scores), max(scores)]}


def test_pages_cover_the_dataset_once_in_order_with_labels(client, image_dataset):
    pages = _all_samples(client)
    expected = list(image_dataset)
    assert [s["id"] for s in pages] == [s.id for s in expected]
    for got, want in zip(pages, expected):
        assert got["filepath"] == want.filepath
        assert got["tags"] == want.tags
        boxes = [d["box"] for d in got["fields"]["ground_truth"]]
        assert boxes == [d.bounding_box for d in want.ground_truth.detections]
        weather = got["fields"]["weather"][0]
        assert (weather["type"], weather["label"]) == ("classification", want.weather.label)
        assert got["fields"]["road"][0]["url"].startswith("/api/mask?sample=" + want.id)


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 10_000}, {"offset": -1}, {"offset": "x"}, {"filters": "{nope"}],
)
def test_bad_paging_parameters_are_400(client, params):
    response = client.get("/api/samples", params=params)
    assert response.status_code == 400
    assert response.json()["error"]


@pytest.mark.parametrize(
    "filters",
    [
        {"labels": {"no_such_field": {"classes": ["cat"]}}},
        {"labels": {"ground_truth": {"confidence": [0.5]}}},
        {"numeric": {"ground_truth": [0, 1]}},
        {"tags": "even"},
        {"sort": "score"},
    ],
)
def test_filters_that_do_not_fit_are_400_with_a_reason(client, filters):
    response = client.get("/api/samples", params={"filters": json.dumps(filters)})
    assert response.status_code == 400
    assert response.json()["error"]


def test_class_filter_keeps_matching_labels_and_samples(client, image_dataset):
    got = _all_samples(client, {"labels": {"ground_truth": {"classes": ["dog"]}}})
    expected = [
        s for s in image_dataset if any(d.label == "dog" for d in s.ground_truth.detections)
    ]
    assert [s["id"] for s in got] == [s.id for s in expected]
    for sample in got:
        assert {d["label"] for d in sample["fields"]["ground_truth"]} == {"dog"}
        assert sample["fields"]["predictions"]  # other fields are not filtered


def test_confidence_attribute_tag_and_numeric_filters_combine(client, image_dataset):
    filters = {
        "labels": {"predictions": {"confidence": [0.5, None], "attributes": {"eval": ["tp"]}}},
        "tags": ["odd"],
        "numeric": {"score": [3, 19]},
    }
    got = _all_samples(client, filters)
    expected = [
        s
        for s in image_dataset
        if "odd" in s.tags
        and 3 <= s.score <= 19
        and any(d.confidence >= 0.5 and d["eval"] == "tp" for d in s.predictions.detections)
    ]
    assert expected, "fixture should contain matching samples"
    assert [s["id"] for s in got] == [s.id for s in expected]
    for sample in got:
        assert all(d["confidence"] >= 0.5 for d in sample["fields"]["predictions"])


def test_sample_detail_has_scalars_metadata_and_missing_keypoints_as_null(client, image_dataset):
    sample = image_dataset.first()
    detail = client.get(f"/api/samples/{sample.id}").json()
    assert detail["scalars"]["score"] == sample.score
    points = detail["fields"]["joints"][0]["points"]
    assert points[0] == list(sample.joints.keypoints[0].points[0]) and points[1] is None
    pred = detail["fields"]["predictions"][0]
    assert pred["attributes"]["eval"] == sample.predictions.detections[0]["eval"]


def test_samples_outside_the_view_or_filters_are_404(session, client, image_dataset):
    assert client.get("/api/samples/" + "0" * 24).status_code == 404
    odd = next(s for s in image_dataset if "odd" in s.tags)
    session.view = image_dataset.match_tags("even")
    assert client.get(f"/api/samples/{odd.id}").status_code == 404
    assert client.get(f"/api/samples/{odd.id}/frames").status_code == 404
    session.clear_view()
    assert client.get(f"/api/samples/{odd.id}").status_code == 200
    only_even = json.dumps({"tags": ["even"]})
    response = client.get(f"/api/samples/{odd.id}", params={"filters": only_even})
    assert response.status_code == 404


def test_instance_mask_travels_inline_as_png(client, image_dataset):
    sample = next(s for s in image_dataset if s.predictions.detections[0].mask is not None)
    detail = client.get(f"/api/samples/{sample.id}").json()
    url = detail["fields"]["predictions"][0]["mask"]
    assert url.startswith("data:image/png;base64,")
    png = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    want = np.asarray(sample.predictions.detections[0].mask)
    np.testing.assert_array_equal(np.asarray(png) > 0, want)


def test_semantic_mask_is_painted_in_class_colours(client, image_dataset):
    sample = image_dataset.first()
    response = client.get("/api/mask", params={"sample": sample.id, "field": "road"})
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    rgba = np.asarray(Image.open(io.BytesIO(response.content)))
    mask = sample.road.mask
    assert rgba.shape[:2] == mask.shape
    np.testing.assert_array_equal(rgba[..., 3] > 0, mask > 0)
    assert tuple(rgba[mask > 0][0][:3]) == color_for("1")
    missing = client.get("/api/mask", params={"sample": sample.id, "field": "ground_truth"})
    assert missing.status_code == 404


def test_view_changes_bump_the_version_and_reshape_pages(session, client, image_dataset):
    start = client.get("/api/version").json()["version"]
    session.view = image_dataset.match_tags("even").filter_labels(
        "ground_truth", F("label") == "dog"
    )
    assert client.get("/api/version").json()["version"] > start
    expected = [
        s
        for s in image_dataset
        if "even" in s.tags and any(d.label == "dog" for d in s.ground_truth.detections)
    ]
    got = _all_samples(client)
    assert [s["id"] for s in got] == [s.id for s in expected]
    assert all({d["label"] for d in s["fields"]["ground_truth"]} == {"dog"} for s in got)
    assert session.dataset is image_dataset

    session.view = image_dataset.skip(3).limit(5)
    ids = [s.id for s in image_dataset][3:8]
    assert [s["id"] for s in _all_samples(client, page=2)] == ids

    before = client.get("/api/version").json()["version"]
    session.refresh()
    assert client.get("/api/version").json()["version"] == before + 1
    session.clear_view()
    assert session.view is None
    assert client.get("/api/dataset").json()["count"] == len(image_dataset)


def test_video_frames_api_returns_frame_labels_with_track_ids(video_dataset):
    with ll.launch_app(video_dataset, port=0, auto=False) as session:
        client = httpx.Client(base_url=session.url, timeout=30)
        page = client.get("/api/samples").json()
        sample = page["samples"][0]
        assert sample["media_type"] == "video"
        assert sample["fields"]["frames.objects"][0]["box"][0] == pytest.approx(0.05)
        detail = client.get(f"/api/samples/{sample['id']}").json()
        assert detail["frame_count"] == 10 and detail["frame_rate"] == pytest.approx(10)
        assert detail["frame_fields"] == ["frames.objects", "frames.scene"]
        frames = client.get(
            f"/api/samples/{sample['id']}/frames", params={"start": 3, "stop": 12}
        ).json()["frames"]
        assert sorted(map(int, frames)) == list(range(3, 11))
        stored = video_dataset.first().frames
        for number, fields in frames.items():
            (label,) = fields["frames.objects"]
            want = stored[int(number)]["objects"].detections[0]
            assert label["index"] == want.index and label["box"] == want.bounding_box
            (scene,) = fields["frames.scene"]
            assert scene["label"] == stored[int(number)]["scene"].label
        bad = client.get(f"/api/samples/{sample['id']}/frames", params={"start": 0})
        assert bad.status_code == 400


def test_nan_and_numpy_values_travel_as_json(tmp_path):
    from tests.app.media import write_jpeg

    dataset = ll.Dataset()
    dataset.add_samples(
        [
            ll.Sample(write_jpeg(str(tmp_path / "a.jpg")), score=float("nan"), hits=np.int64(3)),
            ll.Sample(write_jpeg(str(tmp_path / "b.jpg")), score=0.5, hits=np.int64(1)),
        ]
    )
    try:
        with ll.launch_app(dataset, port=0, auto=False) as session:
            stats = httpx.get(session.url + "api/dataset/stats")
            assert stats.status_code == 200
            for low, high in stats.json()["numeric_fields"].values():
                assert all(v is None or isinstance(v, (int, float)) for v in (low, high))
            first = dataset.first()
            detail = httpx.get(f"{session.url}api/samples/{first.id}").json()
            assert detail["scalars"] == {"score": None, "hits": 3}
    finally:
        dataset.delete()


def test_frames_view_serves_its_frame_images(tmp_path):
    from tests.app.conftest import make_video_dataset

    video = make_video_dataset(str(tmp_path / "video"))
    frames = video.to_frames(sample_frames=True, output_dir=str(tmp_path / "frames"))
    with ll.launch_app(frames, port=0, auto=False) as session:
        with httpx.Client(base_url=session.url, timeout=30) as client:
            page = client.get("/api/samples", params={"offset": 0, "limit": 5}).json()
            assert page["total"] == 10
            first = page["samples"][0]
            assert first["media_type"] == "image"
            assert [f["label"] for f in first["fields"]["objects"]] == ["car"]
            media = client.get(first["media_url"])
            assert media.status_code == 200 and media.content[:2] == b"\xff\xd8"  # a JPEG
            assert client.get(first["thumb_url"]).status_code == 200
    video.delete()
