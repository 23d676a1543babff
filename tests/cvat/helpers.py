"""Datasets and backends for the CVAT backend tests (real SQLite, real JPEGs, real server)."""

from __future__ import annotations

from typing import Any

from labelloop.core.dataset import Dataset
from labelloop.core.sample import Sample
from labelloop.cvat.backend import CVATBackend, CVATBackendConfig
from tests.cvat.media import write_images


def image_dataset(
    tmp_path, count: int = 3, size: tuple[int, int] = (64, 48), **per_sample: Any
) -> Dataset:
    """A dataset of ``count`` JPEGs; ``per_sample[field]`` is a function ``i -> value``."""
    paths = write_images(str(tmp_path / "media"), count, size)
    dataset = Dataset()
    samples = []
    for i, path in enumerate(paths):
        fields = {name: make(i) for name, make in per_sample.items()}
        samples.append(Sample(filepath=path, **fields))
    dataset.add_samples(samples)
    return dataset


def make_backend(server, label_schema: dict[str, Any], **kwargs: Any) -> CVATBackend:
    """A CVAT backend logged in to ``server`` as its administrator."""
    kwargs.setdefault("username", server.username)
    kwargs.setdefault("password", server.password)
    config = CVATBackendConfig("cvat", label_schema, url=server.url, **kwargs)
    return config.build_backend()


def server_json(server, path: str, **params: Any) -> Any:
    """GET ``path`` as the administrator (what a person would see in CVAT)."""
    with server.client() as client:
        response = client.get(path, params=params)
        response.raise_for_status()
        return response.json()


def save_job(server, job_id: int, action: str, body: dict[str, Any]) -> Any:
    """Save annotations the way CVAT's editor does (``PATCH ?action=create|update|delete``)."""
    body = {"version": 0, "tags": [], "shapes": [], "tracks": [], **body}
    with server.client() as client:
        response = client.patch(
            f"/api/jobs/{job_id}/annotations", params={"action": action}, json=body
        )
        response.raise_for_status()
        return response.json()


def job_annotations(server, task_id: int) -> tuple[int, dict[str, Any]]:
    """The first job of a task and its annotations."""
    job = server_json(server, "/api/jobs", task_id=task_id)["results"][0]
    return job["id"], server_json(server, f"/api/jobs/{job['id']}/annotations")
