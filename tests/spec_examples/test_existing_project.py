"""Uploading into an existing CVAT project: the project's classes apply (the spec's
"uploading to existing projects" example). Labels of other classes are left out of
the run with a warning and come back from a load untouched."""

from __future__ import annotations

import logging

from PIL import Image

import labelloop as fo


def test_labels_of_classes_the_project_lacks_stay_as_they_are(cvat_server_fresh, tmp_path, caplog):
    server = cvat_server_fresh
    path = tmp_path / "scene.jpg"
    Image.new("RGB", (64, 48), (90, 120, 30)).save(path)
    dataset = fo.Dataset()
    sample = fo.Sample(filepath=str(path))
    sample["ground_truth"] = fo.Detections(
        detections=[fo.Detection(label="cat", bounding_box=[0.1, 0.1, 0.3, 0.3])]
    )
    sample["predictions"] = fo.Detections(
        detections=[
            fo.Detection(label="cat", bounding_box=[0.1, 0.1, 0.3, 0.3], confidence=0.9),
            fo.Detection(label="dog", bounding_box=[0.5, 0.5, 0.2, 0.2], confidence=0.8),
        ]
    )
    dataset.add_sample(sample)
    login = {"url": server.url, "username": server.username, "password": server.password}
    dataset.annotate("first", label_field="ground_truth", project_name="shared", **login)
    with caplog.at_level(logging.WARNING, logger="labelloop.cvat.annotate"):
        results = dataset.annotate(
            "second", label_field="predictions", project_name="shared", **login
        )
    assert "['dog']" in caplog.text
    assert list(results.id_map["predictions"].values()) == [
        [d.id for d in sample.predictions.detections if d.label == "cat"]
    ]
    dataset.load_annotations("second", cleanup=True, **login)
    sample.reload()
    assert sorted(d.label for d in sample.predictions.detections) == ["cat", "dog"]
    dataset.load_annotation_results("first", **login).cleanup()
