"""The spec's "Uploading to existing projects" flow: a run that names no label field takes
the project's labels, and load_annotations decides the fields (unexpected=...)."""

from __future__ import annotations

import io

import pytest

from labelloop.core.dataset import Dataset
from labelloop.core.labels import Detection, Detections
from labelloop.core.sample import Sample
from labelloop.testing.annotator import Annotator
from tests.cvat_import.helpers import creds, write_jpeg, write_mp4


def _dataset(tmp_path):
    dataset = Dataset()
    dataset.add_samples(
        Sample(
            filepath=write_jpeg(str(tmp_path / f"u{i}.jpg"), (40, 30), seed=i),
            gt=Detections(detections=[Detection(label="cat", bounding_box=[0.1, 0.1, 0.2, 0.2])]),
        )
        for i in range(2)
    )
    return dataset


def test_run_without_label_field_in_existing_project(cvat_server_fresh, tmp_path, monkeypatch):
    server = cvat_server_fresh
    dataset = _dataset(tmp_path)
    view = dataset.limit(1)
    dataset.annotate("create_project", label_field="gt", project_name="shared", **creds(server))
    results = view.annotate("new_fields", project_name="shared", **creds(server))
    (task_id,) = results.task_ids
    with Annotator(server.url, server.username, server.password) as person:
        job = results.job_ids[task_id][0]
        person.add_shape(job, type="rectangle", label="cat", points=[4, 3, 24, 18], frame=0)
        person.add_tag(job, label="cat", frame=0)

    # no terminal to prompt on: a clear error, nothing written
    with pytest.raises(ValueError, match="no terminal to ask"):
        dataset.load_annotations("new_fields", **creds(server))
    assert "detections" not in dataset.get_field_schema()

    # on a terminal the person is asked, per kind of label, for the field (empty: skip)
    class Tty(io.StringIO):
        def isatty(self):
            return True

    asked = []

    def answer(prompt):
        asked.append(prompt)
        return "asked_boxes" if "'detections'" in prompt else ""

    monkeypatch.setattr("sys.stdin", Tty(""))
    monkeypatch.setattr("builtins.input", answer)
    dataset.load_annotations("new_fields", **creds(server))
    assert len(asked) == 2 and all("_unnamed" in q for q in asked)
    assert dataset.count("asked_boxes.detections") == 1
    assert "classifications" not in dataset.get_field_schema()

    dataset.load_annotations("new_fields", unexpected="keep", **creds(server))
    dataset.load_annotations("new_fields", unexpected="keep", **creds(server))  # idempotent
    sample = view.first()
    (det,) = sample.detections.detections
    assert det.label == "cat" and det.bounding_box == pytest.approx([0.1, 0.1, 0.5, 0.5])
    assert [c.label for c in sample.classifications.classifications] == ["cat"]
    assert len(sample.gt.detections) == 1  # the project's other field is untouched
    assert dataset.count("detections.detections") == 1

    # a dict chooses the fields instead
    dataset.load_annotations(
        "new_fields",
        unexpected={"detections": "boxes", "classifications": "scene"},
        cleanup=True,
        **creds(server),
    )
    assert view.first().boxes.detections[0].id == det.id
    assert [c.label for c in view.first().scene.classifications] == ["cat"]


def test_run_without_label_field_needs_a_project_with_labels(cvat_server_fresh, tmp_path):
    server = cvat_server_fresh
    dataset = _dataset(tmp_path)
    with pytest.raises(ValueError, match="does not exist"):
        dataset.annotate("nowhere", project_name="missing", **creds(server))
    with server.client() as client:
        assert client.get("/api/projects").json()["count"] == 0
        assert client.get("/api/tasks").json()["count"] == 0
    assert "nowhere" not in dataset.list_annotation_runs()
    with pytest.raises(ValueError, match="Nothing to annotate"):
        dataset.annotate("no_project", **creds(server))


def test_video_run_without_label_field(cvat_server_fresh, tmp_path):
    server = cvat_server_fresh
    video = write_mp4(str(tmp_path / "v.mp4"), 6)
    dataset = Dataset()
    dataset.add_sample(Sample(filepath=video))
    first = dataset.first()
    first.frames[1]["gt"] = Detections(
        detections=[Detection(label="cat", bounding_box=[0.1, 0.1, 0.2, 0.2])]
    )
    first.save()
    dataset.annotate("make", label_field="frames.gt", project_name="vids", **creds(server))
    results = dataset.annotate("unnamed", project_name="vids", **creds(server))
    (task_id,) = results.task_ids
    with Annotator(server.url, server.username, server.password) as person:
        person.add_track(
            results.job_ids[task_id][0],
            label="cat",
            shapes=[{"frame": 1, "points": [0, 0, 8, 8]}, {"frame": 3, "points": [8, 0, 16, 8]}],
        )
    dataset.load_annotations("unnamed", unexpected="keep", cleanup=True, **creds(server))
    sample = dataset.first()
    numbers = [n for n, f in sample.frames.items() if f.get_field("detections")]
    assert numbers == [2, 3, 4, 5, 6]
    assert {f.detections.detections[0].index for n, f in sample.frames.items() if n in numbers} == {
        sample.frames[2].detections.detections[0].index
    }
