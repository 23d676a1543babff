"""Benchmark: import_annotations of an image task made outside labelloop, local CVAT server.

One task of N JPEGs (one box and one tag each) is imported into empty datasets
with ``download_media=True`` at several ``num_workers``, then re-imported
(nothing downloaded, every label updated in place). Prints wall times and the
number of HTTP requests the server answered. Run:

    python benchmarks/cvat_import.py --images 300 --workers 1 4 8
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

from labelloop.core.dataset import Dataset
from labelloop.cvat.import_media import MediaIndex
from labelloop.testing.cvat_server import LocalCVATServer
from labelloop.utils.cvat import import_annotations


def _task(server: LocalCVATServer, folder: Path, count: int) -> int:
    """A task of ``count`` 320x240 JPEGs with a box and a tag per frame, made by plain REST."""
    rng = np.random.default_rng(0)
    files = []
    for i in range(count):
        path = folder / f"img{i:05d}.jpg"
        Image.fromarray(rng.integers(0, 255, (240, 320, 3), dtype=np.uint8)).save(path)
        files.append((f"client_files[{i}]", (path.name, path.read_bytes())))
    with httpx.Client(base_url=server.url, headers=server.headers, timeout=600) as client:
        labels = [{"name": "cat", "attributes": []}]
        task_id = client.post("/api/tasks", json={"name": "bench", "labels": labels}).json()["id"]
        rq = client.post(
            f"/api/tasks/{task_id}/data",
            data={"image_quality": "90", "sorting_method": "predefined"},
            files=files,
        ).json()["rq_id"]
        while client.get(f"/api/requests/{rq}").json()["status"] not in ("finished", "failed"):
            time.sleep(0.1)
        job = client.get("/api/jobs", params={"task_id": task_id}).json()["results"][0]["id"]
        label_id = client.get("/api/labels", params={"task_id": task_id}).json()["results"][0]["id"]
        shapes = [
            {"type": "rectangle", "label_id": label_id, "frame": i, "points": [10, 10, 90, 80],
             "occluded": False, "outside": False, "z_order": 0, "rotation": 0, "group": 0,
             "source": "manual", "attributes": []}
            for i in range(count)
        ]  # fmt: skip
        tags = [
            {"label_id": label_id, "frame": i, "group": 0, "source": "manual", "attributes": []}
            for i in range(count)
        ]
        client.patch(
            f"/api/jobs/{job}/annotations",
            params={"action": "create"},
            json={"version": 0, "shapes": shapes, "tags": tags, "tracks": []},
        ).raise_for_status()
    return task_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=300)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4, 8])
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp, LocalCVATServer(Path(tmp) / "server") as server:
        src = Path(tmp) / "src"
        src.mkdir()
        task_id = _task(server, src, args.images)
        creds = {"url": server.url, "username": server.username, "password": server.password}
        print(f"{args.images} images, one box and one tag each")
        for workers in args.workers:
            target = Path(tmp) / f"download-{workers}"
            dataset = Dataset()
            start = time.perf_counter()
            report = import_annotations(
                dataset,
                task_ids=task_id,
                data_path=str(target),
                download_media=True,
                num_workers=workers,
                progress=False,
                **creds,
            )
            took = time.perf_counter() - start
            print(
                f"  import + download, num_workers={workers}: {took:6.2f} s "
                f"({report.media_downloaded} files, {report.labels_added} labels)"
            )
        start = time.perf_counter()
        report = import_annotations(dataset, task_ids=task_id, data_path=str(target), **creds)
        took = time.perf_counter() - start
        print(f"  re-import (all local): {took:6.2f} s ({report.labels_updated} labels updated)")
        start = time.perf_counter()
        index = MediaIndex.from_data_path(str(target), [])
        found = sum(index.resolve(f"img{i:05d}.jpg")[0] == "found" for i in range(args.images))
        print(f"  index + resolve {found} names: {time.perf_counter() - start:6.3f} s")


if __name__ == "__main__":
    main()
