"""The fixtures each server gets before the differential requests: the same objects on both.

Everything is created through the public API with names carrying a unique
prefix, so a shared real CVAT's other objects are never touched; the side
records what it created and deletes it at the end.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.cvat_server.differential import Side
from tests.cvat_server.helpers import write_images, write_video

LABELS: list[dict[str, Any]] = [
    {
        "name": "car",
        "attributes": [
            {
                "name": "color",
                "mutable": True,
                "input_type": "select",
                "values": ["red", "blue"],
                "default_value": "red",
            },
            {
                "name": "parked",
                "mutable": False,
                "input_type": "checkbox",
                "values": ["false"],
                "default_value": "false",
            },
        ],
    },
    {"name": "person", "attributes": []},
]


def write_media(folder: Path) -> dict[str, Path]:
    """Four small JPEGs (img0..img3) and a 10-frame MP4 (video)."""
    images = write_images(folder, 4)
    media = {f"img{i}": path for i, path in enumerate(images)}
    media["video"] = write_video(folder / "clip.mp4", 10, 64, 48)
    return media


def _upload(side: Side, task_id: int, names: list[str]) -> str:
    files = [
        (f"client_files[{i}]", (side.media[n].name, side.media[n].read_bytes()))
        for i, n in enumerate(names)
    ]
    form = {"image_quality": "75", "sorting_method": "predefined"}
    body = side.api("POST", f"/api/tasks/{task_id}/data", 202, data=form, files=files)
    side.wait_request(body["rq_id"])
    return body["rq_id"]


def _jobs(side: Side, task_id: int) -> list[dict[str, Any]]:
    page = side.api("GET", "/api/jobs", 200, params={"task_id": task_id, "page_size": 100})
    return sorted(page["results"], key=lambda job: job["start_frame"])


def build_world(side: Side, prefix: str) -> None:
    """Create the shared fixtures on ``side`` and record their ids in ``side.ids``."""
    ids = side.ids
    ids.update(prefix=prefix, username=side.username)
    ids["user"] = side.api("GET", "/api/users/self", 200)["id"]
    _register_leaver(side, f"{prefix}-leaver")
    for name in side.media:
        ids[f"{name}_name"] = side.media[name].name
    ids["video_size"] = side.media["video"].stat().st_size

    project = side.api(
        "POST", "/api/projects", 201, json={"name": f"{prefix}-project", "labels": LABELS}
    )
    ids["project"], ids["project_name"] = project["id"], project["name"]
    labels = side.api("GET", "/api/labels", 200, params={"project_id": project["id"]})["results"]
    by_name = {label["name"]: label for label in labels}
    ids["label_car"], ids["label_person"] = by_name["car"]["id"], by_name["person"]["id"]
    attrs = {a["name"]: a["id"] for a in by_name["car"]["attributes"]}
    ids["attr_color"], ids["attr_parked"] = attrs["color"], attrs["parked"]

    task = side.api(
        "POST",
        "/api/tasks",
        201,
        json={"name": f"{prefix}-images", "project_id": project["id"], "segment_size": 2},
    )
    ids["task"], ids["task_name"] = task["id"], task["name"]
    ids["rq"] = _upload(side, task["id"], ["img0", "img1", "img2", "img3"])
    jobs = _jobs(side, task["id"])
    ids["job"], ids["job2"] = jobs[0]["id"], jobs[1]["id"]

    video = side.api(
        "POST", "/api/tasks", 201, json={"name": f"{prefix}-video", "labels": LABELS[:1]}
    )
    ids["task_video"] = video["id"]
    _upload(side, video["id"], ["video"])
    ids["job_video"] = _jobs(side, video["id"])[0]["id"]
    vlabels = side.api("GET", "/api/labels", 200, params={"task_id": video["id"]})["results"]
    ids["label_vcar"] = vlabels[0]["id"]
    ids["attr_vcolor"] = {a["name"]: a["id"] for a in vlabels[0]["attributes"]}["color"]

    side.api(
        "PUT",
        f"/api/tasks/{task['id']}/annotations",
        200,
        json={
            "version": 0,
            "tags": [{"frame": 1, "label_id": ids["label_person"], "attributes": []}],
            "shapes": [
                {
                    "type": "rectangle",
                    "frame": 0,
                    "label_id": ids["label_car"],
                    "points": [1, 2, 10, 12],
                    "attributes": [
                        {"spec_id": ids["attr_color"], "value": "blue"},
                        {"spec_id": ids["attr_parked"], "value": "true"},
                    ],
                }
            ],
            "tracks": [
                {
                    "frame": 0,
                    "label_id": ids["label_person"],
                    "attributes": [],
                    "shapes": [
                        {"type": "rectangle", "frame": 0, "points": [0, 0, 5, 5]},
                        {"type": "rectangle", "frame": 1, "points": [1, 1, 6, 6]},
                        {"type": "rectangle", "frame": 2, "points": [1, 1, 6, 6], "outside": True},
                    ],
                }
            ],
        },
    )
    saved = side.api("GET", f"/api/tasks/{task['id']}/annotations", 200)
    ids["shape"] = saved["shapes"][0]["id"]
    ids["tag"] = saved["tags"][0]["id"]
    ids["track"] = saved["tracks"][0]["id"]

    for name in ("task_up", "task_tus", "task_plain", "task_empty"):
        empty = side.api(
            "POST",
            "/api/tasks",
            201,
            json={"name": f"{prefix}-{name}", "project_id": project["id"]},
        )
        ids[name] = empty["id"]


def _register_leaver(side: Side, username: str) -> None:
    """Register the user the logout kinds log in as, through CVAT's registration API."""
    password = "Mirror-Lake-5081-q"
    with httpx.Client(base_url=side.url, timeout=120) as anonymous:
        answer = anonymous.post(
            "/api/auth/register",
            json={
                "username": username,
                "email": f"{username}@example.com",
                "password1": password,
                "password2": password,
                "first_name": "Lea",
                "last_name": "Ver",
            },
        )
    if answer.status_code != 201:
        raise AssertionError(
            f"{side.name}: register {username}: {answer.status_code} {answer.text}"
        )
    found = side.api("GET", "/api/users", 200, params={"search": username})["results"]
    side.created.append(f"/api/users/{found[0]['id']}")
    side.ids.update(leaver=username, leaver_password=password)
