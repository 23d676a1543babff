"""Tasks made "outside labelloop": plain REST calls, as a person in the CVAT UI would."""

from __future__ import annotations

import os
import time
from typing import Any

import av
import numpy as np
from PIL import Image

LABELS = [
    {"name": "cat", "attributes": []},
    {
        "name": "dog",
        "attributes": [{"name": "pose", "input_type": "text", "mutable": True, "values": []}],
    },
]


def creds(server: Any) -> dict[str, str]:
    """Credentials for ``import_annotations``."""
    return {"url": server.url, "username": server.username, "password": server.password}


def write_jpeg(path: str, size: tuple[int, int] = (40, 30), seed: int = 0) -> str:
    """A JPEG of random pixels (``size`` = width, height)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path, quality=85)
    return path


def write_mp4(path: str, frames: int, size: tuple[int, int] = (64, 48)) -> str:
    """An H.264 MP4 whose frame i is uniformly gray at level 20 * i."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with av.open(path, "w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.options = {"preset": "ultrafast", "qp": "0"}
        for i in range(frames):
            array = np.full((size[1], size[0], 3), (20 * i) % 256, dtype=np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(array, format="rgb24")))
        container.mux(stream.encode(None))
    return path


def gray_levels(path: str) -> list[float]:
    """Mean gray level of every frame of a video (decoded with PyAV)."""
    with av.open(path) as container:
        return [float(f.to_ndarray(format="gray").mean()) for f in container.decode(video=0)]


def rest_task(
    server: Any,
    files: list[str],
    *,
    name: str = "outside",
    project_id: int | None = None,
    **data_fields: Any,
) -> int:
    """Create a task with ``files`` through plain REST and wait for its media; its id."""
    body: dict[str, Any] = {"name": name}
    if project_id is None:
        body["labels"] = LABELS
    else:
        body["project_id"] = project_id
    with server.client() as client:
        task = client.post("/api/tasks", json=body)
        task.raise_for_status()
        task_id = task.json()["id"]
        form = {"image_quality": "90", "sorting_method": "predefined", **data_fields}
        uploads = []
        for i, path in enumerate(files):
            with open(path, "rb") as handle:
                uploads.append((f"client_files[{i}]", (os.path.basename(path), handle.read())))
        response = client.post(f"/api/tasks/{task_id}/data", data=form, files=uploads)
        response.raise_for_status()
        rq_id = response.json()["rq_id"]
        for _ in range(600):
            status = client.get(f"/api/requests/{rq_id}").json()["status"]
            if status in ("finished", "failed"):
                break
            time.sleep(0.05)
        assert status == "finished", status
    return task_id


def rest_project(server: Any, name: str) -> int:
    """Create a project with :data:`LABELS`; its id."""
    with server.client() as client:
        response = client.post("/api/projects", json={"name": name, "labels": LABELS})
        response.raise_for_status()
        return response.json()["id"]


def delete_frames(server: Any, task_id: int, frames: list[int]) -> None:
    """Delete frames of a task, as CVAT's editor does."""
    with server.client() as client:
        response = client.patch(f"/api/tasks/{task_id}/data/meta", json={"deleted_frames": frames})
        response.raise_for_status()


def first_job(server: Any, task_id: int) -> int:
    """The id of a task's first job."""
    with server.client() as client:
        return client.get("/api/jobs", params={"task_id": task_id}).json()["results"][0]["id"]
