"""Task and job annotations: ids, versions, frame ranges, validation."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cvat_server.helpers import admin_client, create_task

LABELS = [
    {
        "name": "car",
        "attributes": [
            {"name": "color", "mutable": True, "input_type": "select", "values": ["red", "blue"]},
            {"name": "make", "mutable": False, "input_type": "text", "values": []},
            {"name": "parked", "mutable": True, "input_type": "checkbox", "values": ["false"]},
        ],
    },
    {"name": "person", "attributes": []},
]


@pytest.fixture(scope="module")
def task_ctx(cvat_server, tmp_path_factory):
    """A 6-image task in jobs of 3 frames, with its label and attribute ids."""
    from tests.cvat_server.helpers import write_images

    images = write_images(tmp_path_factory.mktemp("ann-images"), 6)
    with admin_client(cvat_server) as client:
        task = create_task(client, images, labels=LABELS, segment_size=3, name="annotations")
        labels = client.get("/api/labels", params={"task_id": task["id"]}).json()["results"]
        jobs = client.get("/api/jobs", params={"task_id": task["id"]}).json()["results"]
    ids = {label["name"]: label["id"] for label in labels}
    specs = {a["name"]: a["id"] for a in labels[0]["attributes"]}
    jobs = sorted(jobs, key=lambda j: j["start_frame"])
    return {"task": task, "labels": ids, "specs": specs, "jobs": jobs}


@pytest.fixture(scope="module")
def shared_client(cvat_server):
    """One connection for many requests (a client per hypothesis example is slow)."""
    with admin_client(cvat_server) as client:
        yield client


def _box(label_id, frame, x=1.0, **extra):
    return {
        "type": "rectangle",
        "label_id": label_id,
        "frame": frame,
        "points": [x, 2.0, x + 10, 12.0],
        **extra,
    }


def test_put_get_patch_delete_roundtrip(cvat_server, task_ctx):
    task_id = task_ctx["task"]["id"]
    car, person = task_ctx["labels"]["car"], task_ctx["labels"]["person"]
    color = task_ctx["specs"]["color"]
    with admin_client(cvat_server) as client:
        url = f"/api/tasks/{task_id}/annotations"
        before = client.get(url).json()["version"]
        put = client.put(
            url,
            json={
                "version": 0,
                "tags": [{"label_id": person, "frame": 0, "attributes": []}],
                "shapes": [
                    _box(car, 0, attributes=[{"spec_id": color, "value": "red"}]),
                    _box(car, 4, occluded=True, group=2),
                ],
                "tracks": [],
            },
        )
        assert put.status_code == 200
        written = put.json()
        assert written["version"] == before + 1
        shape_ids = [s["id"] for s in written["shapes"]]
        assert all(isinstance(i, int) for i in shape_ids) and len(set(shape_ids)) == 2
        got = client.get(url).json()
        assert got["version"] == written["version"]
        assert [s["id"] for s in got["shapes"]] == shape_ids
        assert got["shapes"][1]["occluded"] is True and got["shapes"][1]["group"] == 2
        assert got["tags"][0]["label_id"] == person

        # PATCH update moves a shape and changes its label; create adds; delete removes
        moved = {
            **got["shapes"][0],
            "points": [5.0, 6.0, 7.0, 8.0],
            "label_id": person,
            "attributes": [],
        }
        upd = client.patch(url, params={"action": "update"}, json={"shapes": [moved]})
        assert upd.status_code == 200
        created = client.patch(
            url, params={"action": "create"}, json={"shapes": [_box(car, 5)]}
        ).json()
        new_id = created["shapes"][0]["id"]
        assert new_id not in shape_ids
        deleted = client.patch(
            url, params={"action": "delete"}, json={"shapes": [got["shapes"][1]]}
        )
        assert deleted.status_code == 200
        final = client.get(url).json()
        by_id = {s["id"]: s for s in final["shapes"]}
        assert set(by_id) == {shape_ids[0], new_id}
        assert by_id[shape_ids[0]]["points"] == [5.0, 6.0, 7.0, 8.0]
        assert by_id[shape_ids[0]]["label_id"] == person
        assert final["version"] == written["version"] + 3
        assert client.patch(url, params={"action": "nope"}, json={}).status_code == 400
        assert client.delete(url).status_code == 204
        empty = client.get(url).json()
        assert (empty["shapes"], empty["tags"], empty["tracks"]) == ([], [], [])


def test_jobs_see_only_their_frames(cvat_server, task_ctx):
    task_id = task_ctx["task"]["id"]
    car = task_ctx["labels"]["car"]
    first, second = task_ctx["jobs"]
    with admin_client(cvat_server) as client:
        client.put(
            f"/api/tasks/{task_id}/annotations",
            json={"shapes": [_box(car, f) for f in range(6)], "tags": [], "tracks": []},
        )
        frames_1 = [
            s["frame"] for s in client.get(f"/api/jobs/{first['id']}/annotations").json()["shapes"]
        ]
        frames_2 = [
            s["frame"] for s in client.get(f"/api/jobs/{second['id']}/annotations").json()["shapes"]
        ]
        assert frames_1 == [0, 1, 2] and frames_2 == [3, 4, 5]
        # writing through a job replaces only its range
        put = client.put(
            f"/api/jobs/{second['id']}/annotations", json={"shapes": [_box(car, 3, x=50.0)]}
        )
        assert put.status_code == 200
        all_frames = sorted(
            s["frame"] for s in client.get(f"/api/tasks/{task_id}/annotations").json()["shapes"]
        )
        assert all_frames == [0, 1, 2, 3]
        # as in CVAT, a job's writes are not checked against its frame range
        outside = client.patch(
            f"/api/jobs/{second['id']}/annotations",
            params={"action": "create"},
            json={"shapes": [_box(car, 0)]},
        )
        assert outside.status_code == 200
        meta = client.get(f"/api/jobs/{second['id']}/data/meta").json()
        assert (meta["start_frame"], meta["stop_frame"], meta["size"]) == (3, 5, 3)
        assert len(meta["frames"]) == 3


def test_tracks_keyframes_outside_and_job_slices(cvat_server, task_ctx):
    task_id = task_ctx["task"]["id"]
    car = task_ctx["labels"]["car"]
    make, color = task_ctx["specs"]["make"], task_ctx["specs"]["color"]
    first, second = task_ctx["jobs"]
    track = {
        "label_id": car,
        "frame": 1,
        "attributes": [{"spec_id": make, "value": "acme"}],
        "shapes": [
            {
                "type": "rectangle",
                "frame": 1,
                "points": [0, 0, 10, 10],
                "keyframe": True,
                "attributes": [{"spec_id": color, "value": "red"}],
            },
            {"type": "rectangle", "frame": 4, "points": [30, 0, 40, 10], "keyframe": True},
            {
                "type": "rectangle",
                "frame": 5,
                "points": [30, 0, 40, 10],
                "outside": True,
                "keyframe": True,
            },
        ],
    }
    with admin_client(cvat_server) as client:
        written = client.put(
            f"/api/tasks/{task_id}/annotations", json={"shapes": [], "tags": [], "tracks": [track]}
        ).json()
        stored = written["tracks"][0]
        assert stored["frame"] == 1
        assert [s["frame"] for s in stored["shapes"]] == [1, 4, 5]
        assert all(isinstance(s["id"], int) for s in stored["shapes"])
        assert stored["attributes"] == [{"spec_id": make, "value": "acme"}]
        # job 2 (frames 3-5) sees the track from frame 3, interpolated between frames 1 and 4
        sliced = client.get(f"/api/jobs/{second['id']}/annotations").json()["tracks"][0]
        assert [s["frame"] for s in sliced["shapes"]] == [3, 4, 5]
        assert sliced["shapes"][0]["points"] == pytest.approx([20.0, 0.0, 30.0, 10.0])
        part_1 = client.get(f"/api/jobs/{first['id']}/annotations").json()["tracks"][0]
        assert [s["frame"] for s in part_1["shapes"]] == [1]
        # editing the track through job 2 keeps the part job 1 owns
        sliced["shapes"][1]["points"] = [33.0, 0.0, 43.0, 10.0]
        client.patch(
            f"/api/jobs/{second['id']}/annotations",
            params={"action": "update"},
            json={"tracks": [sliced]},
        )
        whole = client.get(f"/api/tasks/{task_id}/annotations").json()["tracks"]
        assert len(whole) == 1
        assert [s["frame"] for s in whole[0]["shapes"]] == [1, 3, 4, 5]
        assert whole[0]["shapes"][2]["points"] == [33.0, 0.0, 43.0, 10.0]
        # a mutable attribute on the track level is refused, as CVAT does
        bad = dict(track, attributes=[{"spec_id": color, "value": "red"}])
        assert (
            client.put(f"/api/tasks/{task_id}/annotations", json={"tracks": [bad]}).status_code
            == 400
        )


@pytest.mark.parametrize(
    "mutate, needle",
    [
        (lambda s, ctx: s.update(label_id=999999), "label_id"),
        (lambda s, ctx: s.update(attributes=[{"spec_id": 999999, "value": "x"}]), "spec_id"),
        (lambda s, ctx: s.update(type="blob"), "type"),
        (lambda s, ctx: s.update(points=[1.0, 2.0]), "rectangle"),
        (lambda s, ctx: s.update(frame=99), "frame"),
    ],
)
def test_invalid_annotations_are_refused_with_400(cvat_server, task_ctx, mutate, needle):
    shape = _box(task_ctx["labels"]["car"], 0)
    mutate(shape, task_ctx)
    with admin_client(cvat_server) as client:
        url = f"/api/tasks/{task_ctx['task']['id']}/annotations"
        before = client.get(url).json()
        response = client.put(url, json={"shapes": [shape]})
        assert response.status_code == 400
        assert needle in response.text
        after = client.get(url).json()
        assert after == before


def test_attribute_values_are_stored_unchecked_as_cvat_does(cvat_server, task_ctx):
    """CVAT checks no select choice, checkbox spelling or number range: any text up to
    4096 characters is stored as sent."""
    specs = task_ctx["specs"]
    values = {specs["color"]: "green", specs["parked"]: "maybe"}
    shape = _box(
        task_ctx["labels"]["car"],
        0,
        attributes=[{"spec_id": k, "value": v} for k, v in values.items()],
    )
    with admin_client(cvat_server) as client:
        url = f"/api/tasks/{task_ctx['task']['id']}/annotations"
        assert client.put(url, json={"shapes": [shape]}).status_code == 200
        (stored,) = client.get(url).json()["shapes"]
        assert {a["spec_id"]: a["value"] for a in stored["attributes"]} == values
        shape["attributes"] = [{"spec_id": specs["color"], "value": "x" * 4097}]
        assert client.put(url, json={"shapes": [shape]}).status_code == 400
        client.put(url, json={"shapes": []})


def test_all_shape_types_and_skeletons(cvat_server, image_files):
    labels = [
        {"name": "thing", "attributes": []},
        {
            "name": "body",
            "type": "skeleton",
            "svg": "<circle data-label-name='head'/>",
            "sublabels": [{"name": "head", "type": "points"}, {"name": "foot", "type": "points"}],
        },
    ]
    with admin_client(cvat_server) as client:
        task = create_task(client, image_files[:1], labels=labels, name="shapes")
        listed = client.get("/api/labels", params={"task_id": task["id"]}).json()["results"]
        by_name = {label["name"]: label for label in listed}
        assert set(by_name) == {"thing", "body"}
        thing = by_name["thing"]["id"]
        subs = {s["name"]: s["id"] for s in by_name["body"]["sublabels"]}
        mask = [0, 4, 2, 2, 0.0, 0.0, 3.0, 1.0]  # RLE then left, top, right, bottom
        shapes = [
            {"type": "polygon", "label_id": thing, "frame": 0, "points": [0, 0, 5, 0, 5, 5]},
            {"type": "polyline", "label_id": thing, "frame": 0, "points": [0, 0, 5, 5]},
            {"type": "points", "label_id": thing, "frame": 0, "points": [1, 1]},
            {"type": "ellipse", "label_id": thing, "frame": 0, "points": [5, 5, 8, 7]},
            {
                "type": "cuboid",
                "label_id": thing,
                "frame": 0,
                "points": [float(i) for i in range(16)],
            },
            {"type": "mask", "label_id": thing, "frame": 0, "points": mask},
            {
                "type": "rectangle",
                "label_id": thing,
                "frame": 0,
                "points": [1, 1, 4, 4],
                "rotation": 30,
            },
            {
                "type": "skeleton",
                "label_id": by_name["body"]["id"],
                "frame": 0,
                "points": [],
                "elements": [
                    {"type": "points", "label_id": subs["head"], "frame": 0, "points": [3, 3]},
                    {
                        "type": "points",
                        "label_id": subs["foot"],
                        "frame": 0,
                        "points": [3, 9],
                        "outside": True,
                    },
                ],
            },
        ]
        written = client.put(f"/api/tasks/{task['id']}/annotations", json={"shapes": shapes})
        assert written.status_code == 200, written.text
        got = client.get(f"/api/tasks/{task['id']}/annotations").json()["shapes"]
        assert [s["type"] for s in got] == [s["type"] for s in shapes]
        assert got[5]["points"] == mask
        assert got[6]["rotation"] == 30
        elements = got[7]["elements"]
        assert [e["label_id"] for e in elements] == [subs["head"], subs["foot"]]
        assert all(isinstance(e["id"], int) for e in elements)
        assert elements[1]["outside"] is True
        wrong_sub = dict(
            shapes[7],
            elements=[{"type": "points", "label_id": thing, "frame": 0, "points": [1, 1]}],
        )
        assert (
            client.put(
                f"/api/tasks/{task['id']}/annotations", json={"shapes": [wrong_sub]}
            ).status_code
            == 400
        )


@pytest.mark.parametrize(
    "field, value",
    [("group", "x"), ("z_order", [1]), ("rotation", 400), ("score", 2), ("points", ["a", 1, 2, 3])],
)
def test_malformed_fields_are_400_not_500(cvat_server, task_ctx, field, value):
    shape = {**_box(task_ctx["labels"]["car"], 0), field: value}
    with admin_client(cvat_server) as client:
        response = client.put(
            f"/api/tasks/{task_ctx['task']['id']}/annotations", json={"shapes": [shape]}
        )
    assert response.status_code == 400
    assert field in response.text


_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 10)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=3),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=3), children, max_size=3)
    ),
    max_leaves=8,
)
_field_names = st.sampled_from(
    [
        "type",
        "label_id",
        "frame",
        "points",
        "attributes",
        "group",
        "z_order",
        "rotation",
        "occluded",
        "outside",
        "elements",
        "shapes",
        "keyframe",
        "id",
        "source",
        "score",
        "spec_id",
        "value",
    ]
)
_objects = st.dictionaries(_field_names, _values, max_size=6)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    payload=st.dictionaries(
        st.sampled_from(["tags", "shapes", "tracks", "version"]),
        st.lists(_objects, max_size=3) | _values,
        max_size=3,
    )
)
def test_arbitrary_payloads_never_crash_the_server(shared_client, task_ctx, payload):
    url = f"/api/jobs/{task_ctx['jobs'][0]['id']}/annotations"
    for method, params in (
        ("PUT", {}),
        ("PATCH", {"action": "create"}),
        ("PATCH", {"action": "delete"}),
    ):
        response = shared_client.request(method, url, params=params, json=payload)
        assert response.status_code in (200, 400), (method, payload, response.text)
