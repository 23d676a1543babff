"""Smaller CVAT options: editor launch, organizations, tokens, attribute bindings, coercion."""

from __future__ import annotations

import webbrowser

import pytest

from labelloop.core.labels import Classification, Detection, Detections
from labelloop.cvat.api import CVATAnnotationAPI
from labelloop.cvat.backend import CVATBackendConfig
from labelloop.testing.annotator import Annotator
from labelloop.utils.annotations import connect_to_api
from tests.cvat.helpers import image_dataset, make_backend, server_json


def test_launch_editor_opens_the_first_job(cvat_server, tmp_path, monkeypatch):
    opened = []
    monkeypatch.setattr(webbrowser, "open", lambda url, new=0: opened.append(url) or True)
    dataset = image_dataset(tmp_path, 2, gt=lambda i: Detections(detections=[]))
    results = dataset.annotate(
        "editor",
        label_field="gt",
        label_type="detections",
        classes=["a"],
        launch_editor=True,
        url=cvat_server.url,
        username=cvat_server.username,
        password=cvat_server.password,
    )
    task_id = results.task_ids[0]
    assert opened == [f"{cvat_server.url}/tasks/{task_id}/jobs/{results.job_ids[task_id][0]}"]
    results.cleanup()
    results.task_ids = [task_id]  # a task deleted on the server is skipped
    with pytest.raises(ValueError, match="no tasks left"):
        results.launch_editor()


def test_organization_scopes_the_run(cvat_server_fresh, tmp_path):
    server = cvat_server_fresh
    with server.client() as client:
        client.post("/api/organizations", json={"slug": "acme", "name": "Acme"}).raise_for_status()
    dataset = image_dataset(
        tmp_path,
        1,
        gt=lambda i: Detections(
            detections=[Detection(label="a", bounding_box=[0.1, 0.1, 0.2, 0.2])]
        ),
    )
    backend = make_backend(
        server,
        {"gt": {"type": "detections", "classes": ["a"], "attributes": {}}},
        organization="acme",
    )
    results = backend.upload_annotations(dataset, "org")
    task = server_json(server, f"/api/tasks/{results.task_ids[0]}")
    assert task["organization"] is not None
    assert results.api.client._http.headers["X-Organization"] == "acme"
    results.cleanup()


def test_token_auth_and_connect_to_api(cvat_server):
    with CVATAnnotationAPI("cvat", cvat_server.url, token=cvat_server.admin_token) as api:
        assert api.users.self()["username"] == cvat_server.username
    api = connect_to_api(
        "cvat", url=cvat_server.url, username=cvat_server.username, password=cvat_server.password
    )
    with api:
        assert isinstance(api, CVATAnnotationAPI) and api.server_version.major == 2
    assert api.client.closed


def test_group_and_occluded_bindings_and_text_coercion(cvat_server, tmp_path):
    def dets(i):
        return Detections(
            detections=[
                Detection(
                    label="a", bounding_box=[0.1, 0.1, 0.2, 0.2], grp=3, hidden=True, code="007"
                )
            ]
        )

    dataset = image_dataset(tmp_path, 1, gt=dets)
    schema = {
        "gt": {
            "type": "detections",
            "classes": ["a"],
            "attributes": {"code": {"type": "text", "values": []}},
        }
    }
    backend = make_backend(cvat_server, schema, group_id_attr="grp", occluded_attr="hidden")
    results = backend.upload_annotations(dataset, "bind")
    try:
        job_id = results.job_ids[results.task_ids[0]][0]
        (shape,) = server_json(cvat_server, f"/api/jobs/{job_id}/annotations")["shapes"]
        assert shape["group"] == 3 and shape["occluded"] is True
        with Annotator(cvat_server.url, cvat_server.username, cvat_server.password) as person:
            person.add_shape(
                job_id,
                type="rectangle",
                label="a",
                points=[1, 1, 5, 5],
                frame=0,
                attributes={"code": "42"},
            )
        (labels,) = backend.download_annotations(results)["gt"]["detections"].values()
        old = next(v for v in labels.values() if v.get_field("grp") == 3)
        (new,) = [v for v in labels.values() if v is not old]
        # text that was a string stays a string ("007" is not 7); new labels follow coerce_text_attrs
        assert (old.grp, old.hidden, old.code) == (3, True, "007")
        assert new.code == 42
    finally:
        results.cleanup()


def test_config_validates_before_any_request():
    with pytest.raises(ValueError, match="task_size"):
        CVATBackendConfig("cvat", {}, url="http://x", task_size=0)
    with pytest.raises(ValueError, match="image_quality"):
        CVATBackendConfig("cvat", {}, url="http://x", image_quality=101)
    with pytest.raises(ValueError, match="frame_step"):
        CVATBackendConfig("cvat", {}, url="http://x", frame_step=0)
    with pytest.raises(ValueError, match="Unknown parameter"):
        CVATBackendConfig("cvat", {}, url="http://x", task_sise=3)
    config = CVATBackendConfig(
        "cvat", {}, url="http://x/", password="pw", username="u", job_reviewers=["r"]
    )
    data = config.serialize()
    assert data["url"] == "http://x" and data["job_reviewers"] is None
    assert "pw" not in repr(config) and "password" not in data


def test_scalar_and_classification_fields_only(cvat_server, tmp_path):
    dataset = image_dataset(
        tmp_path, 2, weather=lambda i: Classification(label="sun"), score=lambda i: 0.5 + i
    )
    schema = {
        "weather": {"type": "classification", "classes": ["sun", "rain"], "attributes": {}},
        "score": {"type": "scalar"},
    }
    backend = make_backend(cvat_server, schema)
    results = backend.upload_annotations(dataset, "tags")
    try:
        annotations = backend.download_annotations(results)
        assert sorted(annotations["score"]["scalar"].values()) == [0.5, 1.5]
        assert all(len(v) == 1 for v in annotations["weather"]["classification"].values())
    finally:
        results.cleanup()
