"""Benchmark: annotate() and load_annotations() of N images x K boxes against a CVAT server.

Prints wall and CPU times, HTTP request counts and peak memory (process RSS and
Python heap) for the upload and the download + merge (see cvat_common.py for
the server options; without one a local CVAT-compatible server is started). Run:

    python benchmarks/cvat_images.py [--images 1000] [--boxes 10] [--task-size N]
        [--url URL --username U] [--access-log FILE] [--concurrency C]
    (the password from LABELLOOP_CVAT_PASSWORD, or --password)
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np
from cvat_common import (
    RequestCounter,
    add_server_arguments,
    annotate_and_load,
    cvat_server,
    work_dir,
)
from PIL import Image

from labelloop.core.dataset import Dataset
from labelloop.core.labels import Detection, Detections
from labelloop.core.sample import Sample


def _images(directory: Path, count: int) -> list[str]:
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, size=(240, 320, 3), dtype=np.uint8)
    paths = []
    for i in range(count):
        pixels = np.roll(base, i, axis=1)
        path = directory / f"frame{i:05d}.jpg"
        Image.fromarray(pixels).save(path, quality=85)
        paths.append(str(path))
    return paths


def _dataset(paths: list[str], boxes: int) -> Dataset:
    rng = np.random.default_rng(1)
    dataset = Dataset()
    samples = []
    for path in paths:
        xy = rng.random((boxes, 2)) * 0.7
        dets = [
            Detection(
                label=["cat", "dog", "car"][k % 3], bounding_box=[*xy[k], 0.2, 0.2], iscrowd=k % 2
            )
            for k in range(boxes)
        ]
        samples.append(Sample(filepath=path, gt=Detections(detections=dets)))
    dataset.add_samples(samples)
    return dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--boxes", type=int, default=10)
    parser.add_argument("--task-size", type=int, default=None)
    add_server_arguments(parser)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    counter = RequestCounter()
    work = work_dir("labelloop-bench-")
    paths = _images(work / "media", args.images)
    media_mib = sum(Path(p).stat().st_size for p in paths) / 2**20
    dataset = _dataset(paths, args.boxes)
    print(
        f"{args.images} images ({media_mib:.1f} MiB) x {args.boxes} boxes, task_size={args.task_size}"
    )
    with cvat_server(args, work) as creds:
        annotate_and_load(
            dataset, "gt", creds, counter, args, label_field="gt", task_size=args.task_size
        )


if __name__ == "__main__":
    main()
