"""Benchmark: annotate() and load_annotations() of N images x K boxes against the local CVAT server.

Prints wall times, HTTP request counts and peak memory (process RSS and Python
heap) for the upload and the download+merge. Run:

    python benchmarks/cvat_images.py [--images 1000] [--boxes 10] [--task-size N]
"""

from __future__ import annotations

import argparse
import logging
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
from PIL import Image

from labelloop.core.dataset import Dataset
from labelloop.core.labels import Detection, Detections
from labelloop.core.sample import Sample
from labelloop.testing.cvat_server import LocalCVATServer


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


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--boxes", type=int, default=10)
    parser.add_argument("--task-size", type=int, default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    work = Path(tempfile.mkdtemp(prefix="labelloop-bench-"))
    paths = _images(work / "media", args.images)
    media_mib = sum(Path(p).stat().st_size for p in paths) / 2**20
    dataset = _dataset(paths, args.boxes)
    print(
        f"{args.images} images ({media_mib:.1f} MiB) x {args.boxes} boxes, task_size={args.task_size}"
    )
    with LocalCVATServer(work / "server", username="bench", password="bench-pw") as server:
        creds = {"url": server.url, "username": "bench", "password": "bench-pw"}
        tracemalloc.start()
        started = time.perf_counter()
        results = dataset.annotate("bench", label_field="gt", task_size=args.task_size, **creds)
        upload_s = time.perf_counter() - started
        _, upload_heap = tracemalloc.get_traced_memory()
        upload_requests = results.backend.connect_to_api().client.request_count
        print(
            f"annotate: {upload_s:.2f} s, {upload_requests} requests, {len(results.task_ids)} task(s), "
            f"peak Python heap {upload_heap / 2**20:.1f} MiB, peak RSS {_peak_rss_mib():.0f} MiB"
        )
        tracemalloc.reset_peak()
        client = results.backend.connect_to_api().client
        before = client.request_count
        started = time.perf_counter()
        dataset.load_annotations("bench", **creds)
        load_s = time.perf_counter() - started
        _, load_heap = tracemalloc.get_traced_memory()
        print(
            f"load_annotations: {load_s:.2f} s, {client.request_count - before} requests, "
            f"peak Python heap {load_heap / 2**20:.1f} MiB, peak RSS {_peak_rss_mib():.0f} MiB"
        )
        results.cleanup()


if __name__ == "__main__":
    main()
