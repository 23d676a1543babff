"""Annotating a video view whose frame labels are filtered: only the labels the view shows
go to CVAT, and the labels it hides stay as they were after the load."""

from __future__ import annotations

from labelloop import ViewField as F
from tests.cvat_video.helpers import annotator, box, boxes, credentials, first_job, video_dataset

FRAMES = 3


def _cars_and_people(video, number):
    return boxes(box("car", 0.1, 0.1), box("person", 0.5, 0.5))


def test_frame_filtered_view_uploads_only_the_labels_it_shows(cvat_server, tmp_path):
    dataset = video_dataset(tmp_path, frames=FRAMES, labels=_cars_and_people)
    people = {
        n: [d.id for d in f.detections.detections if d.label == "person"]
        for n, f in dataset.first().frames.items()
    }
    cars = dataset.filter_labels("frames.detections", F("label") == "car")
    results = cars.annotate(
        "cars",
        label_field="frames.detections",
        classes=["car", "person"],
        **credentials(cvat_server),
    )
    with annotator(cvat_server) as person:
        job = first_job(person, results)
        car = person.label_id(job, "car")
        uploaded = person.annotations(job)
        objects = uploaded["shapes"] + uploaded["tracks"]
        assert objects and {o["label_id"] for o in objects} == {car}
        shape = next(s for s in uploaded["shapes"] if s["frame"] == 0)
        person.move_shape(job, shape["id"], 4, 0)
    cars.load_annotations("cars", **credentials(cvat_server))
    frames = dataset.first().frames
    assert {
        n: [d.id for d in f.detections.detections if d.label == "person"] for n, f in frames.items()
    } == people
    assert [len(f.detections.detections) for f in frames.values()] == [2] * FRAMES
