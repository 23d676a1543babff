"""Fixtures for core tests: a fresh dataset per test and real media files."""

from __future__ import annotations

import pytest

import labelloop as ll
from labelloop.core.labels import Detection, Detections
from tests.core.media import write_jpeg


@pytest.fixture
def dataset():
    ds = ll.Dataset()
    yield ds
    if not ds.deleted:
        ds.delete()


@pytest.fixture
def image_dataset(tmp_path, dataset):
    """Four JPEG samples with ground truth and predictions."""
    specs = [
        (["cat", "dog"], [0.9, 0.2], ["train"]),
        (["person"], [0.95], ["val"]),
        (["person", "person", "car"], [0.85, 0.5, 0.99], ["train"]),
        ([], [], []),
    ]
    samples = []
    for index, (labels, confs, tags) in enumerate(specs):
        path = write_jpeg(str(tmp_path / f"img{index}.jpg"), seed=index)
        gt = Detections(
            detections=[
                Detection(label=lab, bounding_box=[0.1 * i, 0.1, 0.2, 0.2])
                for i, lab in enumerate(labels)
            ]
        )
        pred = Detections(
            detections=[
                Detection(label=lab, bounding_box=[0.1 * i, 0.1, 0.2, 0.2], confidence=c)
                for i, (lab, c) in enumerate(zip(labels, confs))
            ]
        )
        samples.append(
            ll.Sample(path, tags=tags, ground_truth=gt, predictions=pred, uniqueness=index / 4)
        )
    dataset.add_samples(samples)
    return dataset
