"""Scale numbers for the local CVAT-compatible server (prints timings; asserts nothing).

Run: python benchmarks/cvat_server.py [--images 2000] [--frames 10000] [--shapes 200000]

Measures, against a server in a child process on loopback:
- creating a task from N small JPEGs (one multipart upload + processing),
- creating a task from an N-frame MP4 (upload + processing),
- PUT and GET of M rectangle shapes on a task, and GET of one job's share.

Each line gives wall time and the server process's CPU time; on a loaded
machine the CPU time is the steadier number.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import av
import httpx
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from labelloop.testing.cvat_server import LocalCVATServer  # noqa: E402


def _cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used: a load-independent measure."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Timer:
    """Wall time and server CPU time of a block."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def __enter__(self) -> _Timer:
        self.wall, self.cpu = time.perf_counter(), _cpu(self.pid)
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = _cpu(self.pid) - self.cpu

    def __str__(self) -> str:
        return f"{self.wall:.2f} s wall, {self.cpu:.2f} s server CPU"


def _wait(client: httpx.Client, rq_id: str) -> None:
    while True:
        status = client.get(f"/api/requests/{rq_id}").json()
        if status["status"] == "finished":
            return
        if status["status"] == "failed":
            raise RuntimeError(status["message"])
        time.sleep(0.02)


def _create(client: httpx.Client, name: str, files: list[Path], **task: object) -> dict:
    """Create a task from files in one multipart upload and wait until it is processed."""
    created = client.post(
        "/api/tasks", json={"name": name, "labels": [{"name": "car"}], **task}
    ).json()
    multipart = [(f"client_files[{i}]", (p.name, p.read_bytes())) for i, p in enumerate(files)]
    response = client.post(
        f"/api/tasks/{created['id']}/data",
        data={"image_quality": "70", "sorting_method": "predefined"},
        files=multipart,
    )
    _wait(client, response.json()["rq_id"])
    return client.get(f"/api/tasks/{created['id']}").json()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--frames", type=int, default=10000)
    parser.add_argument("--shapes", type=int, default=200000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cvat-bench-"))
    images = []
    for i in range(args.images):
        path = work / f"img_{i:05d}.jpg"
        Image.fromarray(np.full((48, 64, 3), i % 256, dtype=np.uint8)).save(path)
        images.append(path)
    video = work / "long.mp4"
    with av.open(str(video), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.options = {"preset": "ultrafast"}
        for i in range(args.frames):
            frame = av.VideoFrame.from_ndarray(
                np.full((48, 64, 3), i % 256, dtype=np.uint8), format="rgb24"
            )
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)

    with LocalCVATServer(work / "server") as server, server.client(timeout=600) as client:
        pid = server.pid
        with _Timer(pid) as timer:
            task = _create(client, "bench-images", images, segment_size=500)
        print(f"image task: {task['size']} images, {task['jobs']['count']} jobs: {timer}")
        with _Timer(pid) as timer:
            vtask = _create(client, "bench-video", [video])
        print(f"video task: {vtask['size']} frames, {vtask['jobs']['count']} jobs: {timer}")

        label = client.get("/api/labels", params={"task_id": task["id"]}).json()["results"][0]["id"]
        shapes = [
            {
                "type": "rectangle",
                "label_id": label,
                "frame": i % task["size"],
                "points": [1.0, 2.0, 30.0, 40.0],
            }
            for i in range(args.shapes)
        ]
        with _Timer(pid) as timer:
            client.put(
                f"/api/tasks/{task['id']}/annotations", json={"shapes": shapes}
            ).raise_for_status()
        print(f"PUT {args.shapes} shapes: {timer}")
        with _Timer(pid) as timer:
            got = client.get(f"/api/tasks/{task['id']}/annotations").json()
        print(f"GET {len(got['shapes'])} shapes (task): {timer}")
        job = client.get("/api/jobs", params={"task_id": task["id"]}).json()["results"][0]
        with _Timer(pid) as timer:
            part = client.get(f"/api/jobs/{job['id']}/annotations").json()
        print(f"GET {len(part['shapes'])} shapes (one job): {timer}")


if __name__ == "__main__":
    main()
