"""Datasets, runs and a person in CVAT for the merge-safety tests."""

from __future__ import annotations

from typing import Any

from labelloop.core.dataset import Dataset
from labelloop.core.labels import Detection, Detections
from labelloop.core.sample import Sample
from labelloop.testing.annotator import Annotator
from tests.cvat.media import write_images

CLASSES = ["cat", "dog"]


def boxes(i: int, per_sample: int = 2, **attrs: Any) -> Detections:
    return Detections(
        detections=[
            Detection(
                label=CLASSES[(i + k) % 2],
                bounding_box=[0.1 + 0.05 * k, 0.1 + 0.02 * (i % 5), 0.2, 0.3],
                **attrs,
            )
            for k in range(per_sample)
        ]
    )


def image_dataset(tmp_path, count: int = 4, per_sample: int = 2, **attrs: Any) -> Dataset:
    """``count`` real JPEGs with ``gt`` boxes (``attrs`` set on every box)."""
    paths = write_images(str(tmp_path / "media"), count, (64, 48))
    dataset = Dataset()
    dataset.add_samples(
        Sample(filepath=path, gt=boxes(i, per_sample, **attrs)) for i, path in enumerate(paths)
    )
    return dataset


def creds(server) -> dict[str, str]:
    return {"url": server.url, "username": server.username, "password": server.password}


def person(server) -> Annotator:
    return Annotator(server.url, username=server.username, password=server.password)


def ids_by_sample(dataset: Dataset, field: str = "gt") -> dict[str, list[str]]:
    out = {}
    for sample in dataset.iter_samples():
        value = sample.get_field(field) if sample.has_field(field) else None
        out[sample.id] = sorted(d.id for d in value.detections) if value else []
    return out


def labels_by_id(dataset: Dataset, field: str = "gt") -> dict[str, dict[str, Any]]:
    out = {}
    for sample in dataset.iter_samples():
        value = sample.get_field(field) if sample.has_field(field) else None
        for det in value.detections if value else ():
            doc = det.to_dict()
            doc.pop("_id", None)
            out[det.id] = doc
    return out


def samples_of_task(results: Any, task_id: int) -> list[str]:
    return [f["sample_id"] for f in results.frame_id_map[task_id].values()]
