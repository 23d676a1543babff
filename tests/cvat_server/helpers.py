"""Test helpers: real media files and small HTTP conveniences."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
from PIL import Image

from labelloop.testing.cvat_server import LocalCVATServer
from tests.cvat_server.schema import checked_client


def write_images(folder: Path, count: int, *, base: tuple[int, int] = (40, 30)) -> list[Path]:
    """JPEGs named img_000.jpg..., image i sized (base_w + i, base_h + 2 i)."""
    paths = []
    for i in range(count):
        size = (base[0] + i, base[1] + 2 * i)
        pixels = np.full((size[1], size[0], 3), (i * 40) % 256, dtype=np.uint8)
        path = folder / f"img_{i:03d}.jpg"
        Image.fromarray(pixels).save(path, quality=90)
        paths.append(path)
    return paths


def write_video(path: Path, frames: int, width: int, height: int) -> Path:
    """An H.264 MP4 whose frame i has a uniform gray level of (i * 5) % 256."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast"}
        for i in range(frames):
            array = np.full((height, width, 3), (i * 5) % 256, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(array, format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def wait_request(client: httpx.Client, rq_id: str, timeout: float = 60) -> dict[str, Any]:
    """Poll /api/requests/{rq_id} until it finishes or fails."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/api/requests/{rq_id}").json()
        if body["status"] in ("finished", "failed"):
            return body
        time.sleep(0.05)
    raise AssertionError(f"request {rq_id} did not finish in {timeout} s")


def create_task(
    client: httpx.Client,
    files: list[Path],
    *,
    labels: list[dict[str, Any]] | None = None,
    fields: dict[str, Any] | None = None,
    **task_fields: Any,
) -> dict[str, Any]:
    """Create a task, upload files in one multipart request, wait; return the task JSON."""
    body = {
        "name": "task",
        "labels": labels if labels is not None else [{"name": "cat", "attributes": []}],
    }
    body.update(task_fields)
    response = client.post("/api/tasks", json=body)
    assert response.status_code == 201, response.text
    task = response.json()
    form = {"image_quality": "75", "sorting_method": "predefined", **(fields or {})}
    multipart = [(f"client_files[{i}]", (p.name, p.read_bytes())) for i, p in enumerate(files)]
    response = client.post(f"/api/tasks/{task['id']}/data", data=form, files=multipart)
    assert response.status_code == 202, response.text
    status = wait_request(client, response.json()["rq_id"])
    assert status["status"] == "finished", status
    return client.get(f"/api/tasks/{task['id']}").json()


def admin_client(server: LocalCVATServer) -> httpx.Client:
    """A schema-checking client authenticated with the administrator's token."""
    return checked_client(server.url, headers=server.headers)


def user_client(server: LocalCVATServer, token: str) -> httpx.Client:
    """A schema-checking client authenticated with a user's token."""
    return checked_client(server.url, headers={"Authorization": f"Token {token}"})
