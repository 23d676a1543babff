"""The media half of the differential catalogue: uploads, data, jobs and annotations.

See :mod:`tests.cvat_server.differential_kinds`, which assembles the whole list.
"""

from __future__ import annotations

from typing import Any

from tests.cvat_server.differential import Kind, Ref

K = Kind
MISSING_ID = 999_999_999


def _rect(label: str = "label_car", frame: int = 0, **extra: Any) -> dict[str, Any]:
    shape = {
        "type": "rectangle",
        "frame": frame,
        "label_id": Ref(label),
        "points": [2, 3, 20, 30],
        "attributes": [],
    }
    shape.update(extra)
    return shape


def _doc(**kinds: list[Any]) -> dict[str, Any]:
    return {"version": 0, "tags": [], "shapes": [], "tracks": [], **kinds}


_FINISH = {
    "image_quality": 75,
    "sorting_method": "predefined",
    "upload_file_order": [Ref("img1_name"), Ref("img0_name")],
}
_TUS = {"Tus-Resumable": "1.0.0"}

UPLOADS = [
    K("upload start", "POST", "/api/tasks/{task_up}/data/", headers={"Upload-Start": "true"}),
    K(
        "upload multiple",
        "POST",
        "/api/tasks/{task_up}/data/",
        headers={"Upload-Multiple": "true"},
        data={"image_quality": "75"},
        files=("img0", "img1"),
    ),
    K(
        "upload finish form-encoded",
        "POST",
        "/api/tasks/{task_up}/data/",
        headers={"Upload-Finish": "true"},
        data={"image_quality": "75", "sorting_method": "lexicographical"},
    ),
    K(
        "upload finish image_quality not a number",
        "POST",
        "/api/tasks/{task_up}/data/",
        headers={"Upload-Finish": "true"},
        json={**_FINISH, "image_quality": "abc"},
    ),
    K(
        "upload finish bad sorting method",
        "POST",
        "/api/tasks/{task_up}/data/",
        headers={"Upload-Finish": "true"},
        json={**_FINISH, "sorting_method": "by-size"},
    ),
    K(
        "upload finish json",
        "POST",
        "/api/tasks/{task_up}/data/",
        headers={"Upload-Finish": "true"},
        json={**_FINISH, "use_cache": True, "use_zip_chunks": True, "chunk_size": 2},
        capture={"rq_up": "rq_id"},
        wait="rq_up",
    ),
    K("request get", "GET", "/api/requests/{rq_up}"),
    K("request of world task", "GET", "/api/requests/{rq}"),
    K("request missing", "GET", "/api/requests/action=create&target=task&target_id=999999999"),
    K("requests list", "GET", "/api/requests", params={"page_size": 100}),
    K(
        "upload to task with data",
        "POST",
        "/api/tasks/{task_up}/data/",
        headers={"Upload-Start": "true"},
    ),
    K(
        "upload to missing task",
        "POST",
        f"/api/tasks/{MISSING_ID}/data/",
        headers={"Upload-Start": "true"},
    ),
    K("tus start", "POST", "/api/tasks/{task_tus}/data/", headers={"Upload-Start": "true"}),
    K(
        "tus create",
        "POST",
        "/api/tasks/{task_tus}/data/",
        headers={
            **_TUS,
            "Upload-Length": "{video_size}",
            "Upload-Metadata": "filename Y2xpcC5tcDQ=",
        },
        capture={"tus_file": "header:Location"},
    ),
    K("tus head", "HEAD", "{tus_file}", headers=_TUS),
    K(
        "tus chunk wrong offset",
        "PATCH",
        "{tus_file}",
        content=b"xxxx",
        headers={**_TUS, "Upload-Offset": "5", "Content-Type": "application/offset+octet-stream"},
    ),
    K(
        "tus chunk",
        "PATCH",
        "{tus_file}",
        content="video",
        headers={**_TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
    ),
    K(
        "tus chunk missing upload",
        "PATCH",
        "/api/tasks/{task_tus}/data/00000000-0000-0000-0000-000000000000",
        content=b"xx",
        headers={**_TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
    ),
    K(
        "tus finish",
        "POST",
        "/api/tasks/{task_tus}/data/",
        headers={"Upload-Finish": "true"},
        json={"sorting_method": "lexicographical"},  # no image_quality: CVAT defaults it
        capture={"rq_tus": "rq_id"},
        wait="rq_tus",
    ),
    K("request of failed processing", "GET", "/api/requests/{rq_tus}"),
    K("data meta after failed processing", "GET", "/api/tasks/{task_tus}/data/meta"),
    K("task after failed processing", "GET", "/api/tasks/{task_tus}"),
    K(
        "single multipart",
        "POST",
        "/api/tasks/{task_plain}/data/",
        files=("img2", "img3"),
        data={
            "image_quality": "75",
            "sorting_method": "lexicographical",
            "start_frame": "0",
            "frame_filter": "step=1",
        },
        capture={"rq_plain": "rq_id"},
        wait="rq_plain",
    ),
]

DATA = [
    K("task data meta", "GET", "/api/tasks/{task}/data/meta"),
    K("task data meta video", "GET", "/api/tasks/{task_video}/data/meta"),
    K("task data meta uploaded", "GET", "/api/tasks/{task_up}/data/meta"),
    K("task data meta without data", "GET", "/api/tasks/{task_empty}/data/meta"),
    K("task data meta patch", "PATCH", "/api/tasks/{task}/data/meta", json={"deleted_frames": []}),
    *(
        K(f"task data meta patch {name}", "PATCH", "/api/tasks/{task}/data/meta", json=body)
        for name, body in (
            ("repeated frames", {"deleted_frames": [0, 0]}),
            ("unknown frames", {"deleted_frames": [99999, 100000]}),
            ("negative frame", {"deleted_frames": [0, -1]}),
            ("not a list", {"deleted_frames": 3}),
        )
    ),
    K("job data meta", "GET", "/api/jobs/{job2}/data/meta"),
    K(
        "frame original",
        "GET",
        "/api/tasks/{task}/data",
        params={"type": "frame", "number": 1, "quality": "original"},
    ),
    K(
        "frame compressed",
        "GET",
        "/api/tasks/{task}/data",
        params={"type": "frame", "number": 0, "quality": "compressed"},
    ),
    K(
        "frame out of range",
        "GET",
        "/api/tasks/{task}/data",
        params={"type": "frame", "number": 99, "quality": "original"},
    ),
    K(
        "frame number not a number",
        "GET",
        "/api/tasks/{task}/data",
        params={"type": "frame", "number": "x", "quality": "original"},
    ),
    K(
        "data bad type",
        "GET",
        "/api/tasks/{task}/data",
        params={"type": "bogus", "number": 0, "quality": "original"},
    ),
    K(
        "data bad quality",
        "GET",
        "/api/tasks/{task}/data",
        params={"type": "frame", "number": 0, "quality": "best"},
    ),
    K(
        "chunk",
        "GET",
        "/api/tasks/{task}/data",
        params={"type": "chunk", "number": 0, "quality": "compressed"},
    ),
    K(
        "video frame",
        "GET",
        "/api/tasks/{task_video}/data",
        params={"type": "frame", "number": 3, "quality": "original"},
    ),
    K(
        "video chunk",
        "GET",
        "/api/tasks/{task_video}/data",
        params={"type": "chunk", "number": 0, "quality": "original"},
    ),
    K(
        "frame of task without data",
        "GET",
        "/api/tasks/{task_empty}/data",
        params={"type": "frame", "number": 0, "quality": "original"},
    ),
    K(
        "job frame",
        "GET",
        "/api/jobs/{job2}/data",
        params={"type": "frame", "number": 2, "quality": "compressed"},
    ),
    K(
        "job chunk by index",
        "GET",
        "/api/jobs/{job2}/data",
        params={"type": "chunk", "index": 0, "quality": "compressed"},
    ),
    K("task preview", "GET", "/api/tasks/{task}/preview"),
    K("job preview", "GET", "/api/jobs/{job2}/preview"),
    K("project preview", "GET", "/api/projects/{project}/preview"),
    K("task status (deprecated)", "GET", "/api/tasks/{task}/status"),
]

JOBS = [
    K("jobs of task", "GET", "/api/jobs", params={"task_id": "{task}", "page_size": 100}),
    K("jobs page_size one", "GET", "/api/jobs", params={"task_id": "{task}", "page_size": 1}),
    K("jobs of missing task", "GET", "/api/jobs", params={"task_id": MISSING_ID}),
    K("job get", "GET", "/api/jobs/{job}"),
    K("job missing", "GET", f"/api/jobs/{MISSING_ID}"),
    K("job assign", "PATCH", "/api/jobs/{job}", json={"assignee": Ref("user")}),
    K("job unassign", "PATCH", "/api/jobs/{job}", json={"assignee": None}),
    K("job assign missing user", "PATCH", "/api/jobs/{job}", json={"assignee": MISSING_ID}),
    K(
        "job stage and state",
        "PATCH",
        "/api/jobs/{job2}",
        json={"stage": "acceptance", "state": "completed"},
    ),
    K("job state only", "PATCH", "/api/jobs/{job2}", json={"state": "in progress"}),
    K("job bad stage", "PATCH", "/api/jobs/{job2}", json={"stage": "bogus"}),
    K("job patch form-encoded", "PATCH", "/api/jobs/{job2}", data={"state": "new"}),
]

_ANNO = "/api/jobs/{job}/annotations"
ANNOTATIONS = [
    K("task annotations", "GET", "/api/tasks/{task}/annotations/"),
    K("job annotations", "GET", "/api/jobs/{job}/annotations/"),
    K("job annotations second job", "GET", "/api/jobs/{job2}/annotations"),
    K("annotations of missing task", "GET", f"/api/tasks/{MISSING_ID}/annotations"),
    K(
        "video put annotations",
        "PUT",
        "/api/tasks/{task_video}/annotations/",
        json=_doc(
            shapes=[
                _rect("label_vcar", 1, attributes=[{"spec_id": Ref("attr_vcolor"), "value": "red"}])
            ],
            tracks=[
                {
                    "frame": 0,
                    "label_id": Ref("label_vcar"),
                    "attributes": [],
                    "shapes": [
                        {"type": "rectangle", "frame": 0, "points": [0, 0, 4, 4], "attributes": []},
                        {
                            "type": "rectangle",
                            "frame": 5,
                            "points": [4, 4, 8, 8],
                            "outside": True,
                            "attributes": [],
                        },
                    ],
                }
            ],
            tags=[{"frame": 2, "label_id": Ref("label_vcar"), "attributes": []}],
        ),
    ),
    K(
        "put unknown label",
        "PUT",
        "/api/tasks/{task_video}/annotations/",
        json=_doc(shapes=[{**_rect("label_vcar"), "label_id": MISSING_ID}]),
    ),
    K(
        "put unknown shape type",
        "PUT",
        "/api/tasks/{task_video}/annotations/",
        json=_doc(shapes=[_rect("label_vcar", type="hexagon")]),
    ),
    K(
        "put points not numbers",
        "PUT",
        "/api/tasks/{task_video}/annotations/",
        json=_doc(shapes=[_rect("label_vcar", points=["a", "b", "c", "d"])]),
    ),
    K(
        "put unknown attribute",
        "PUT",
        "/api/tasks/{task_video}/annotations/",
        json=_doc(shapes=[_rect("label_vcar", attributes=[{"spec_id": MISSING_ID, "value": "x"}])]),
    ),
    K(
        "put shape missing frame",
        "PUT",
        "/api/tasks/{task_video}/annotations/",
        json=_doc(shapes=[{k: v for k, v in _rect("label_vcar").items() if k != "frame"}]),
    ),
    K(
        "put frame not a number",
        "PUT",
        "/api/tasks/{task_video}/annotations/",
        json=_doc(shapes=[_rect("label_vcar", frame="first")]),
    ),
    K(
        "put without tracks",
        "PUT",
        "/api/tasks/{task_video}/annotations/",
        json={"version": 0, "tags": [], "shapes": [_rect("label_vcar")]},
    ),
    K(
        "put unknown top-level field",
        "PUT",
        "/api/tasks/{task_video}/annotations/",
        json={**_doc(shapes=[_rect("label_vcar")]), "comments": []},
    ),
    K("put list body", "PUT", "/api/tasks/{task_video}/annotations/", json=[]),
    K("put form-encoded", "PUT", "/api/tasks/{task_video}/annotations/", data={"version": "0"}),
    K("video annotations", "GET", "/api/tasks/{task_video}/annotations"),
    K(
        "patch create",
        "PATCH",
        _ANNO,
        params={"action": "create"},
        json=_doc(
            shapes=[_rect(attributes=[{"spec_id": Ref("attr_color"), "value": "red"}])],
            tags=[{"frame": 0, "label_id": Ref("label_person"), "attributes": []}],
        ),
        capture={"new_shape": "shapes.0.id", "new_tag": "tags.0.id"},
    ),
    K(
        "patch update",
        "PATCH",
        _ANNO,
        params={"action": "update"},
        json=_doc(shapes=[_rect(id=Ref("new_shape"), points=[5, 5, 25, 35], occluded=True)]),
    ),
    K(
        "patch update track",
        "PATCH",
        "/api/tasks/{task}/annotations",
        params={"action": "update"},
        json=_doc(
            tracks=[
                {
                    "id": Ref("track"),
                    "frame": 0,
                    "label_id": Ref("label_person"),
                    "attributes": [],
                    "shapes": [
                        {"type": "rectangle", "frame": 0, "points": [0, 0, 7, 7]},
                        {"type": "rectangle", "frame": 1, "points": [1, 1, 8, 8], "outside": True},
                    ],
                }
            ]
        ),
    ),
    K(
        "patch delete",
        "PATCH",
        _ANNO,
        params={"action": "delete"},
        json=_doc(
            tags=[
                {
                    "id": Ref("new_tag"),
                    "frame": 0,
                    "label_id": Ref("label_person"),
                    "attributes": [],
                }
            ]
        ),
    ),
    K("patch without action", "PATCH", _ANNO, json=_doc()),
    K("patch bad action", "PATCH", _ANNO, params={"action": "merge"}, json=_doc()),
    K(
        "patch create unknown label",
        "PATCH",
        _ANNO,
        params={"action": "create"},
        json=_doc(shapes=[{**_rect(), "label_id": MISSING_ID}]),
    ),
    K("patch form-encoded", "PATCH", _ANNO, params={"action": "create"}, data={"version": "0"}),
    K("patch list body", "PATCH", _ANNO, params={"action": "create"}, json=[]),
    K(
        "patch create frame outside job",
        "PATCH",
        _ANNO,
        params={"action": "create"},
        json=_doc(shapes=[_rect(frame=3)]),
    ),
    K(
        "patch delete unknown id",
        "PATCH",
        _ANNO,
        params={"action": "delete"},
        json=_doc(shapes=[_rect(id=MISSING_ID)]),
    ),
    K("job annotations after edits", "GET", _ANNO),
    K("delete job annotations", "DELETE", "/api/jobs/{job2}/annotations"),
    K("delete task annotations", "DELETE", "/api/tasks/{task_video}/annotations"),
]
