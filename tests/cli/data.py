"""A small stored dataset of real JPEGs with boxes, for the command-line tests."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

import labelloop as ll


def boxes_dataset(tmp_path: Path, name: str, count: int = 2) -> ll.Dataset:
    """``count`` 64x48 JPEGs, each with a cat and a dog box in ``gt``; persistent, tagged."""
    samples = []
    for i in range(count):
        path = tmp_path / f"img{i}.jpg"
        Image.new("RGB", (64, 48), (40 * i, 90, 160)).save(path, quality=90)
        gt = ll.Detections(
            detections=[
                ll.Detection(label="cat", bounding_box=[0.1, 0.1, 0.25, 0.25]),
                ll.Detection(label="dog", bounding_box=[0.5, 0.5, 0.25, 0.25]),
            ]
        )
        samples.append(ll.Sample(filepath=str(path), gt=gt, tags=["even" if i % 2 == 0 else "odd"]))
    dataset = ll.Dataset(name, persistent=True)
    dataset.add_samples(samples)
    return dataset
