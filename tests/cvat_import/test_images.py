"""import_annotations on image tasks made by plain REST: data_path forms, ambiguity,
downloads, deleted frames, insert_new, label_types, idempotence."""

from __future__ import annotations

import json
import os

import pytest

from labelloop.core.dataset import Dataset
from labelloop.core.sample import Sample
from labelloop.cvat.import_media import AMBIGUOUS, FOUND, MISSING, MediaIndex
from labelloop.testing.annotator import Annotator
from labelloop.utils.cvat import import_annotations
from tests.cvat_import.helpers import (
    creds,
    delete_frames,
    first_job,
    rest_project,
    rest_task,
    write_jpeg,
)


def _person(server):
    return Annotator(server.url, server.username, server.password)


def test_media_index_matches_relative_paths_and_reports_ambiguous_basenames(tmp_path):
    for i, rel in enumerate(["a/x.jpg", "b/x.jpg", "b/deep/y.jpg"]):
        write_jpeg(str(tmp_path / rel), seed=i)
    index = MediaIndex.from_data_path(str(tmp_path), [])
    assert index.resolve("a/x.jpg") == (FOUND, str(tmp_path / "a/x.jpg"))
    assert index.resolve("y.jpg") == (FOUND, str(tmp_path / "b/deep/y.jpg"))
    assert index.resolve("deep/y.jpg") == (FOUND, str(tmp_path / "b/deep/y.jpg"))
    status, candidates = index.resolve("x.jpg")
    assert status == AMBIGUOUS and candidates == [
        str(tmp_path / "a/x.jpg"),
        str(tmp_path / "b/x.jpg"),
    ]
    assert index.resolve("c/x.jpg") == (MISSING, None)
    # a suffix must end at a folder boundary: "ax.jpg" is not "x.jpg"
    write_jpeg(str(tmp_path / "ax.jpg"))
    assert MediaIndex.from_data_path(str(tmp_path), []).resolve("ax.jpg")[0] == FOUND


def test_directory_with_ambiguous_basenames_then_dict_and_json(cvat_server_fresh, tmp_path):
    server = cvat_server_fresh
    root = tmp_path / "media"
    a_x = write_jpeg(str(root / "a/x.jpg"), seed=1)
    b_x = write_jpeg(str(root / "b/x.jpg"), seed=2)
    y = write_jpeg(str(root / "c/y.jpg"), (50, 40), seed=3)
    task_id = rest_task(server, [a_x, y])
    job = first_job(server, task_id)
    with _person(server) as person:
        person.add_shape(job, type="rectangle", label="cat", points=[4, 3, 20, 15], frame=0)
        person.add_shape(job, type="rectangle", label="dog", points=[5, 4, 25, 20], frame=1,
                         attributes={"pose": "sitting"})  # fmt: skip

    dataset = Dataset()
    report = import_annotations(dataset, task_ids=task_id, data_path=str(root), **creds(server))
    assert dataset.values("filepath") == [y]
    (det,) = dataset.first().detections.detections
    assert det.label == "dog" and det.pose == "sitting"
    assert det.bounding_box == pytest.approx([5 / 50, 4 / 40, 20 / 50, 16 / 40])
    (problem,) = [p for p in report.problems if "ambiguous" in p]
    assert report.problems[problem] == 1 and b_x in report.examples[problem][0]

    # a dict names the right file: x comes in, y is updated in place, nothing doubles
    report = import_annotations(
        dataset, task_ids=[task_id], data_path={"x.jpg": a_x, "y.jpg": y}, **creds(server)
    )
    assert sorted(dataset.values("filepath")) == sorted([a_x, y])
    assert (report.samples_added, report.labels_added, report.labels_updated) == (1, 1, 1)
    assert not report.problems
    assert dataset.count("detections.detections") == 2

    # a JSON manifest with paths relative to itself, into a fresh dataset
    manifest = root / "manifest.json"
    manifest.write_text(json.dumps({"x.jpg": "a/x.jpg", "y.jpg": "c/y.jpg"}))
    fresh = Dataset()
    import_annotations(fresh, task_ids=task_id, data_path=str(manifest), **creds(server))
    assert sorted(fresh.values("filepath")) == sorted([a_x, y])
    assert sorted(fresh.values("detections.detections.id", unwind=True)) == sorted(
        dataset.values("detections.detections.id", unwind=True)
    )


def test_download_deleted_frames_and_idempotent_reimport(cvat_server_fresh, tmp_path):
    server = cvat_server_fresh
    files = [
        write_jpeg(str(tmp_path / "src" / f"im{i}.jpg"), (40 + i, 30), seed=i) for i in range(3)
    ]
    project_id = rest_project(server, "outside-project")
    task_id = rest_task(server, files, project_id=project_id)
    job = first_job(server, task_id)
    with _person(server) as person:
        box = person.add_shape(job, type="rectangle", label="cat", points=[1, 1, 11, 11], frame=0)
        person.add_shape(job, type="polygon", label="dog", points=[1, 1, 9, 1, 5, 8], frame=1)
        person.add_tag(job, label="dog", frame=2)
    delete_frames(server, task_id, [1])

    target = tmp_path / "downloads"
    dataset = Dataset()
    report = import_annotations(
        dataset,
        project_name="outside-project",
        data_path=str(target),
        download_media=True,
        num_workers=2,
        progress=False,
        **creds(server),
    )
    names = sorted(os.path.basename(p) for p in dataset.values("filepath"))
    assert names == ["im0.jpg", "im2.jpg"]  # frame 1 was deleted in CVAT
    assert report.media_downloaded == 2 and report.samples_added == 2
    for name in names:  # the original bytes came back
        original = (tmp_path / "src" / name).read_bytes()
        assert (target / name).read_bytes() == original
    by_name = {os.path.basename(s.filepath): s for s in dataset.iter_samples()}
    (det,) = by_name["im0.jpg"].detections.detections
    assert det.bounding_box == pytest.approx([1 / 40, 1 / 30, 10 / 40, 10 / 30])
    assert [c.label for c in by_name["im2.jpg"].classifications.classifications] == ["dog"]
    assert dataset.count("polylines.polylines") == 0

    # the person moves the box; importing again updates it in place and adds nothing
    with _person(server) as person:
        person.move_shape(job, box, 5, 0)
    ids = sorted(dataset.values("detections.detections.id", unwind=True))
    report = import_annotations(
        dataset, project_id=project_id, data_path=str(target), **creds(server)
    )
    assert (report.samples_added, report.labels_added, report.media_downloaded) == (0, 0, 0)
    assert report.labels_updated == 2
    assert sorted(dataset.values("detections.detections.id", unwind=True)) == ids
    (det,) = dataset.match({"filepath": str(target / "im0.jpg")}).first().detections.detections
    assert det.bounding_box[0] == pytest.approx(6 / 40)
    assert len(dataset) == 2


def test_insert_new_false_label_types_and_existing_samples(cvat_server_fresh, tmp_path):
    server = cvat_server_fresh
    files = [write_jpeg(str(tmp_path / f"p{i}.jpg"), seed=i) for i in range(2)]
    task_id = rest_task(server, files)
    job = first_job(server, task_id)
    with _person(server) as person:
        for frame in range(2):
            person.add_shape(job, type="rectangle", label="cat", points=[1, 1, 8, 8], frame=frame)
            person.add_shape(job, type="points", label="dog", points=[3, 3, 4, 4], frame=frame)
            person.add_tag(job, label="cat", frame=frame)
    dataset = Dataset()
    dataset.add_sample(Sample(filepath=files[0]))
    report = import_annotations(
        dataset,
        task_ids=task_id,
        data_path=str(tmp_path),
        insert_new=False,
        label_types=["detections"],
        **creds(server),
    )
    assert len(dataset) == 1 and report.samples_updated == 1
    assert report.excluded == {"keypoints": 2, "classifications": 2}  # counted, not lost
    assert set(dataset.get_field_schema()) >= {"detections"}
    assert "keypoints" not in dataset.get_field_schema()
    assert "classifications" not in dataset.get_field_schema()
    (problem,) = report.problems
    assert "insert_new=False" in problem and "p1.jpg" in report.examples[problem][0]

    # a dict sends kinds to chosen fields; the detections imported before stay single
    import_annotations(
        dataset,
        task_ids=task_id,
        insert_new=False,
        label_types={"keypoints": "points", "classifications": "scene", "detections": "detections"},
        **creds(server),
    )
    sample = dataset.first()
    assert len(sample.detections.detections) == 1
    assert [k.label for k in sample.points.keypoints] == ["dog"]
    points = [c for point in sample.points.keypoints[0].points for c in point]
    assert points == pytest.approx([3 / 40, 3 / 30, 4 / 40, 4 / 30])
    assert [c.label for c in sample.scene.classifications] == ["cat"]


def test_labelloop_task_round_trip_keeps_ids(cvat_server_fresh, tmp_path):
    from labelloop.core.labels import Detection, Detections

    server = cvat_server_fresh
    files = [write_jpeg(str(tmp_path / "orig" / f"s{i}.jpg"), seed=i) for i in range(2)]
    source = Dataset()
    source.add_samples(
        Sample(filepath=f, gt=Detections(detections=[Detection(label="cat", bounding_box=[0.1, 0.2, 0.3, 0.4])]))
        for f in files
    )  # fmt: skip
    results = source.annotate("up", label_field="gt", **creds(server))
    imported = Dataset()
    report = import_annotations(
        imported,
        task_ids=results.task_ids,
        data_path={os.path.basename(f): f for f in files},
        label_types={"detections": "gt"},
        **creds(server),
    )
    assert report.labels_added == 2 and not report.problems
    assert sorted(imported.values("gt.detections.id", unwind=True)) == sorted(
        source.values("gt.detections.id", unwind=True)
    )
    assert imported.first().gt.detections[0].bounding_box == pytest.approx(
        [0.1, 0.2, 0.3, 0.4], abs=0.02
    )
    assert "label_id" not in imported.first().gt.detections[0].field_names


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({}, "exactly one of"),
        ({"task_ids": 1, "project_id": 2}, "got project_id, task_ids"),
        ({"task_ids": "x"}, "task_ids"),
        ({"task_ids": 1, "download_media": True}, "download_media=True needs data_path"),
        ({"task_ids": 1, "num_workers": 0}, "num_workers"),
        ({"task_ids": 1, "label_types": ["boxes"]}, "label_types has unknown kinds"),
        ({"task_ids": 1, "data_path": "/nonexistent/dir"}, "is not a directory"),
        ({"task_ids": 1, "data_path": 3}, "data_path must be"),
    ],
)
def test_bad_arguments_fail_before_any_request(kwargs, needle):
    # no server: the url points nowhere, so any request would fail differently
    with pytest.raises(ValueError, match=needle):
        import_annotations(
            Dataset(), url="http://127.0.0.1:9", username="u", password="p", **kwargs
        )


def test_view_import_never_duplicates_samples_outside_the_view(cvat_server_fresh, tmp_path):
    server = cvat_server_fresh
    files = [write_jpeg(str(tmp_path / f"v{i}.jpg"), seed=i) for i in range(2)]
    task_id = rest_task(server, files)
    job = first_job(server, task_id)
    with _person(server) as person:
        for frame in range(2):
            person.add_shape(job, type="rectangle", label="cat", points=[1, 1, 8, 8], frame=frame)
    dataset = Dataset()
    dataset.add_samples(Sample(filepath=f) for f in files)
    report = import_annotations(
        dataset.limit(1), task_ids=task_id, data_path=str(tmp_path), **creds(server)
    )
    assert len(dataset) == 2 and report.samples_added == 0
    assert dataset.count("detections.detections") == 1
    (problem,) = report.problems
    assert "outside the given view" in problem and "v1.jpg" in report.examples[problem][0]
