"""Patches, evaluation patches, frames and clips views, and map_labels: values, counts,
chaining, write-back to the source dataset and empty cases, on a real SQLite database with
real JPEG and MP4 files."""

from __future__ import annotations

import os

import pytest

import labelloop as ll
from labelloop import ViewField as F
from labelloop.core.labels import (
    Classification,
    Detection,
    Detections,
    TemporalDetection,
    TemporalDetections,
)
from tests.core.media import write_mp4

# -- patches -------------------------------------------------------------------------------


def test_patches_values_counts_and_sources(image_dataset):
    patches = image_dataset.to_patches("ground_truth")
    assert patches.count() == 6
    assert patches.media_type == "image"
    assert patches.get_field_schema()["ground_truth"]["cls"] == "Detection"
    assert patches.values("ground_truth.label") == [
        "cat",
        "dog",
        "person",
        "person",
        "person",
        "car",
    ]
    assert patches.count_values("ground_truth.label") == {"cat": 1, "dog": 1, "person": 3, "car": 1}
    ids = image_dataset.values("id")
    assert patches.values("sample_id") == [ids[0], ids[0], ids[1], ids[2], ids[2], ids[2]]
    # each patch is its label: ids are the labels' ids
    assert patches.values("id") == image_dataset.values("ground_truth.detections.id", unwind=True)
    first = patches.first()
    assert isinstance(first.ground_truth, Detection)
    assert first.filepath == image_dataset[ids[0]].filepath
    assert first.sample_id == ids[0]


def test_patches_chain_with_every_kind_of_stage(image_dataset):
    patches = image_dataset.match_tags("train").to_patches("ground_truth")
    assert patches.count() == 5
    people = patches.filter_labels("ground_truth", F("label") == "person")
    assert people.count() == 2
    assert patches.sort_by("ground_truth.label").values("ground_truth.label") == [
        "car",
        "cat",
        "dog",
        "person",
        "person",
    ]
    assert patches.skip(1).limit(2).values("ground_truth.label") == ["dog", "person"]
    chosen = patches.values("id")[3]
    assert patches.select(chosen).values("id") == [chosen]
    assert patches.exclude(chosen).count() == 4
    assert patches.take(3, seed=1).count() == 3
    assert patches.match(F("ground_truth.label") == "car").count() == 1
    # a view rebuilt from its serialized stages is the same view
    rebuilt = image_dataset._load_view(patches.sort_by("ground_truth.label")._serialize())
    assert rebuilt.values("id") == patches.sort_by("ground_truth.label").values("id")
    assert patches.distinct("ground_truth.label") == ["car", "cat", "dog", "person"]


def test_patches_write_back_edit_delete_set_values_autosave(image_dataset):
    patches = image_dataset.to_patches("ground_truth")
    patch = patches.first()
    patch.ground_truth.label = "kitten"
    patch.ground_truth["reviewed"] = True
    patch.save()
    image_dataset.reload()
    first = image_dataset.first().ground_truth.detections[0]
    assert (first.label, first.reviewed) == ("kitten", True)

    labels = patches.values("ground_truth.label")
    patches.set_values("ground_truth.label", [label.upper() for label in labels])
    assert image_dataset.values("ground_truth.detections.label", unwind=True) == [
        "KITTEN",
        "DOG",
        "PERSON",
        "PERSON",
        "PERSON",
        "CAR",
    ]
    for sample in patches.match(F("ground_truth.label") == "PERSON").iter_samples(autosave=True):
        sample.ground_truth.label = "person"
    assert image_dataset.count_values("ground_truth.detections.label")["person"] == 3

    car = patches.match(F("ground_truth.label") == "CAR").first()
    car.ground_truth = None
    car.save()
    assert image_dataset.count("ground_truth.detections") == 5
    assert "CAR" not in image_dataset.distinct("ground_truth.detections.label")
    assert patches.count() == 5


def test_patches_refuse_non_label_edits_and_keep_hidden_labels(image_dataset):
    patches = image_dataset.to_patches("ground_truth")
    patch = patches.first()
    patch.tags = ["new"]
    with pytest.raises(ValueError, match="only its label fields"):
        patch.save()
    # a filtered view's patches only see their own label; saving touches nothing else
    view = image_dataset.filter_labels("ground_truth", F("label") == "person").to_patches(
        "ground_truth"
    )
    for sample in view.iter_samples(autosave=True):
        sample.ground_truth.confidence = 0.5
    assert image_dataset.count("ground_truth.detections") == 6
    confs = image_dataset.values("ground_truth.detections.confidence", unwind=True)
    assert confs == [0.5, 0.5, 0.5]


def test_patches_empty_and_bad_fields(image_dataset, dataset):
    assert image_dataset.match_tags("nope").to_patches("ground_truth").count() == 0
    assert image_dataset.match_tags("nope").to_patches("ground_truth").values("id") == []
    with pytest.raises(ValueError, match="not a label field"):
        image_dataset.to_patches("uniqueness")
    with pytest.raises(ValueError, match="not a label field"):
        image_dataset.to_patches("missing")
    sample = image_dataset.first()
    sample["weather"] = Classification(label="sunny")
    sample.save()
    with pytest.raises(ValueError, match="Cannot make patches"):
        image_dataset.to_patches("weather")


# -- evaluation patches --------------------------------------------------------------------


def test_evaluation_patches_tp_fp_fn_and_crowds(dataset, tmp_path):
    from tests.core.media import write_jpeg

    gt = Detections(
        detections=[
            Detection(label="cat", bounding_box=[0.0, 0.0, 0.3, 0.3]),
            Detection(label="dog", bounding_box=[0.6, 0.6, 0.3, 0.3]),
            Detection(label="person", bounding_box=[0.3, 0.0, 0.4, 0.4], iscrowd=1),
        ]
    )
    pred = Detections(
        detections=[
            Detection(label="cat", bounding_box=[0.0, 0.0, 0.3, 0.3], confidence=0.9),
            Detection(label="bird", bounding_box=[0.0, 0.6, 0.2, 0.2], confidence=0.8),
            Detection(label="person", bounding_box=[0.3, 0.0, 0.2, 0.2], confidence=0.7),
            Detection(label="person", bounding_box=[0.5, 0.2, 0.2, 0.2], confidence=0.6),
        ]
    )
    dataset.add_sample(
        ll.Sample(write_jpeg(str(tmp_path / "a.jpg")), ground_truth=gt, predictions=pred)
    )
    dataset.evaluate_detections("predictions", eval_key="eval")
    patches = dataset.to_evaluation_patches("eval")
    assert sorted(patches.values("type")) == ["fn", "fp", "tp", "tp"]
    crowd = patches.match(F("crowd")).first()
    assert crowd.type == "tp"
    assert len(crowd.predictions.detections) == 2  # the crowd absorbed both predictions
    assert patches.count_values("type") == {"tp": 2, "fp": 1, "fn": 1}
    fp = patches.match(F("type") == "fp").first()
    assert fp.predictions.detections[0].label == "bird" and fp.ground_truth.detections == []
    assert patches.match(F("type") == "tp").values("iou")[0] == pytest.approx(1.0)
    # write back: fix the false positive's class, delete the false negative
    fp.predictions.detections[0].label = "cat"
    fp.save()
    fn = patches.match(F("type") == "fn").first()
    fn.ground_truth.detections = []
    fn.save()
    labels = dataset.values("predictions.detections.label", unwind=True)
    assert labels == ["cat", "cat", "person", "person"]
    assert dataset.values("ground_truth.detections.label", unwind=True) == ["cat", "person"]
    with pytest.raises(ValueError, match="no evaluation 'nope'"):
        dataset.to_evaluation_patches("nope")


# -- videos: frames and clips --------------------------------------------------------------


@pytest.fixture
def video_dataset(tmp_path):
    """Two real MP4s (12 and 8 frames at 10 fps) with frame labels and temporal detections."""
    dataset = ll.Dataset()
    first = ll.Sample(write_mp4(str(tmp_path / "a.mp4"), frames=12), kind="a")
    for n in (2, 3, 4, 8, 9):
        first.frames[n]["detections"] = Detections(
            detections=[Detection(label=f"car{n}", bounding_box=[0.1, 0.1, 0.2, 0.2])]
        )
    first.frames[6]["score"] = 0.5
    first["events"] = TemporalDetections(
        detections=[
            TemporalDetection(label="run", support=[2, 4]),
            TemporalDetection(label="stop", support=[8, 12]),
        ]
    )
    second = ll.Sample(write_mp4(str(tmp_path / "b.mp4"), frames=8), kind="b")
    second.frames[1]["detections"] = Detections(
        detections=[Detection(label="bus", bounding_box=[0.2, 0.2, 0.3, 0.3])]
    )
    dataset.add_samples([first, second])
    dataset.compute_metadata()
    yield dataset
    dataset.delete()


def test_frames_view_values_counts_and_images(video_dataset, tmp_path):
    frames = video_dataset.to_frames()
    assert frames.count() == 20  # every frame of both videos
    assert frames.media_type == "image"
    assert frames.values("frame_number")[:3] == [1, 2, 3]
    assert frames.count("detections.detections") == 6
    assert frames.match(F("detections.detections").length() > 0).values("frame_number") == [
        2,
        3,
        4,
        8,
        9,
        1,
    ]
    ids = video_dataset.values("id")
    assert frames.values("sample_id") == [ids[0]] * 12 + [ids[1]] * 8
    assert not any(os.path.exists(p) for p in frames.values("filepath"))  # nothing written

    sampled = video_dataset.to_frames(sample_frames=True, output_dir=str(tmp_path / "frames"))
    paths = sampled.values("filepath")
    assert all(os.path.exists(p) for p in paths) and len(paths) == 20
    from PIL import Image

    with Image.open(paths[0]) as img:
        assert img.size == (64, 48)
    assert sampled.first().metadata.width == 64

    assert video_dataset.to_frames(fps=5).count() == 10  # every other frame of 10 fps videos
    assert video_dataset.to_frames(fps=5).values("frame_number")[:3] == [1, 3, 5]
    assert video_dataset.to_frames(max_fps=20).count() == 20  # already below the cap
    assert video_dataset.to_frames(max_fps=2.5).values("frame_number") == [1, 5, 9, 1, 5]
    assert video_dataset.match(F("kind") == "none").to_frames().count() == 0


def test_frames_view_write_back(video_dataset):
    frames = video_dataset.to_frames()
    frame = frames.match(F("frame_number") == 2).first()
    frame.detections.detections[0].label = "truck"
    frame.detections.detections.append(Detection(label="new"))
    frame.save()
    frame6 = frames.match(F("frame_number") == 6).first()
    assert frame6.score == 0.5
    frame6.detections = Detections(detections=[Detection(label="added")])
    frame6.save()
    video_dataset.reload()
    video = video_dataset.first()
    assert [d.label for d in video.frames[2].detections.detections] == ["truck", "new"]
    assert video.frames[6].detections.detections[0].label == "added"
    assert video.frames[6].score == 0.5  # the frame's other fields survive
    labels = frames.values("detections.detections.label")
    frames.set_values(
        "detections.detections.label", [[x.upper() for x in lab or []] for lab in labels]
    )
    assert "TRUCK" in video_dataset.distinct("frames.detections.detections.label")
    frame.frame_number = 3
    with pytest.raises(ValueError, match="only its label fields"):
        frame.save()
    # patches of a frames view write to the video's frames
    patches = frames.to_patches("detections")
    assert patches.count() == 8
    patch = patches.match(F("detections.label") == "BUS").first()
    assert patch.frame_number == 1
    patch.detections.label = "coach"
    patch.save()
    assert video_dataset.values("frames.detections.detections.label")[1][0] == ["coach"]


def test_clips_from_frame_field_expression_supports_and_temporal(video_dataset):
    clips = video_dataset.to_clips("frames.detections")
    assert clips.values("support") == [[2, 4], [8, 9], [1, 1]]
    assert clips.media_type == "video"
    assert video_dataset.to_clips("detections", tol=3).values("support") == [[2, 9], [1, 1]]
    assert video_dataset.to_clips("frames.detections", min_len=2).values("support") == [
        [2, 4],
        [8, 9],
    ]
    expr = video_dataset.to_clips(F("detections.detections").length() > 0)
    assert expr.values("support") == clips.values("support")
    assert video_dataset.to_clips([[1, 3]]).values("support") == [[1, 3], [1, 3]]
    ids = video_dataset.values("id")
    assert video_dataset.to_clips({ids[1]: [[2, 5]]}).values("support") == [[2, 5]]
    temporal = video_dataset.to_clips("events")
    assert temporal.values("events.label") == ["run", "stop"]
    assert temporal.get_field_schema()["events"]["cls"] == "Classification"
    # a clip's frames are the video's frames within its support
    clip = clips.first()
    assert list(clip.frames.keys()) == [2, 3, 4]
    assert clips.count("frames") == 6
    assert clips.values("frames.detections.detections.label")[0] == [["car2"], ["car3"], ["car4"]]
    # chaining after and before
    assert clips.match(F("support")[0] > 1).count() == 2
    assert video_dataset.match(F("kind") == "b").to_clips("frames.detections").count() == 1
    assert clips.to_frames().values("frame_number") == [2, 3, 4, 8, 9, 1]
    assert video_dataset.match(F("kind") == "z").to_clips("events").count() == 0
    with pytest.raises(ValueError, match="no field"):
        video_dataset.to_clips("nothing")
    with pytest.raises(ValueError, match="Cannot make clips"):
        video_dataset.to_clips("kind")


def test_clips_write_back(video_dataset):
    clips = video_dataset.to_clips("frames.detections")
    clip = clips.first()
    clip.frames[3].detections.detections[0].label = "lorry"
    clip.save()
    assert video_dataset.first().frames[3].detections.detections[0].label == "lorry"
    for clip in clips.iter_samples(autosave=True):
        for frame in clip.frames.values():
            for det in frame.detections.detections:
                det["seen"] = True
    assert video_dataset.count_values("frames.detections.detections.seen") == {True: 6}
    temporal = video_dataset.to_clips("events")
    run = temporal.first()
    run.events.label = "sprint"
    run.support = [2, 5]
    run.save()
    events = video_dataset.first().events.detections
    assert (events[0].label, events[0].support) == ("sprint", [2, 5])
    stop = temporal.last()
    stop.events = None
    stop.save()
    assert [e.label for e in video_dataset.first().events.detections] == ["sprint"]
    clip = clips.first()
    clip.kind = "changed"
    with pytest.raises(ValueError, match="only its label fields"):
        clip.save()


def test_map_labels_views_and_write_back(image_dataset, video_dataset):
    view = image_dataset.map_labels("ground_truth", {"person": "human", "cat": "feline"})
    assert view.count_values("ground_truth.detections.label") == {
        "feline": 1,
        "dog": 1,
        "human": 3,
        "car": 1,
    }
    assert image_dataset.count_values("ground_truth.detections.label")["person"] == 3
    patches = view.to_patches("ground_truth")
    assert patches.values("ground_truth.label")[:2] == ["feline", "dog"]
    sample = view.first()
    sample.save()  # saving a mapped sample stores the mapped names
    assert image_dataset.first().ground_truth.detections[0].label == "feline"
    frames = video_dataset.map_labels("frames.detections", {"car2": "vehicle"})
    assert frames.values("frames.detections.detections.label")[0][0] == ["vehicle"]
    with pytest.raises(ValueError):
        image_dataset.map_labels("uniqueness", {"a": "b"})


def test_temporal_detection_labels(dataset, tmp_path):
    with pytest.raises(ValueError, match="first <= last"):
        TemporalDetection(label="x", support=[5, 2])
    video = ll.Sample(write_mp4(str(tmp_path / "c.mp4"), frames=4))
    video["event"] = TemporalDetection(label="x", support=(1, 3))
    dataset.add_sample(video)
    assert dataset.values("event.support") == [[1, 3]]
    assert dataset.first().event.support == [1, 3]
    assert isinstance(Classification(label="a"), ll.Label)


def test_patches_and_frames_views_export(image_dataset, video_dataset, tmp_path):
    import json

    patches = image_dataset.to_patches("ground_truth")
    out = tmp_path / "coco"
    patches.export(str(out), dataset_type=ll.types.COCODetectionDataset, label_field="ground_truth")
    doc = json.loads((out / "labels.json").read_text())
    assert len(doc["images"]) == len(doc["annotations"]) == patches.count()
    frames = video_dataset.to_frames(sample_frames=True, output_dir=str(tmp_path / "frames"))
    images = tmp_path / "images"
    frames.match(F("detections.detections").length() > 0).export(
        str(images), dataset_type=ll.types.COCODetectionDataset, label_field="detections"
    )
    doc = json.loads((images / "labels.json").read_text())
    assert len(doc["images"]) == 6 and len(doc["annotations"]) == 6


def test_delete_labels_of_a_patches_view(image_dataset):
    people = image_dataset.to_patches("ground_truth").match(F("ground_truth.label") == "person")
    image_dataset.delete_labels(view=people)
    assert image_dataset.count_values("ground_truth.detections.label") == {
        "cat": 1,
        "dog": 1,
        "car": 1,
    }
