"""Fault injection and the request-body limit."""

from __future__ import annotations

import httpx
import pytest

from tests.cvat_server.helpers import admin_client, user_client, wait_request

pytestmark = pytest.mark.local_cvat_only(reason="tests the fault injection itself")


def test_nth_matching_request_fails_with_given_status_and_body(cvat_server):
    with admin_client(cvat_server) as client:
        rule = {
            "method": "GET",
            "path": r"^/api/projects$",
            "nth": 2,
            "status": 503,
            "body": {"detail": "down"},
        }
        with cvat_server.fault(**rule) as added:
            codes = [client.get("/api/projects").status_code for _ in range(3)]
            assert codes == [200, 503, 200]
            assert client.post("/api/projects", json={"name": "not-matched"}).status_code == 201
            state = {r["id"]: r for r in cvat_server.faults()}[added["id"]]
            assert (state["matched"], state["fired"]) == (3, 1)
        assert client.get("/api/projects").status_code == 200


def test_every_and_times(cvat_server):
    with admin_client(cvat_server) as client:
        with cvat_server.fault(path="/api/users/self", status=500):
            assert [client.get("/api/users/self").status_code for _ in range(2)] == [500, 500]
        with cvat_server.fault(path="/api/users/self", nth=1, times=2, status=502):
            codes = [client.get("/api/users/self").status_code for _ in range(3)]
            assert codes == [502, 502, 200]
        failing = client.get("/api/users/self")
        assert failing.status_code == 200


def test_throttle_answers_429_with_retry_after(cvat_server):
    with (
        admin_client(cvat_server) as client,
        cvat_server.fault(action="throttle", path="/api/tasks", retry_after=7),
    ):
        response = client.get("/api/tasks")
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "7"


def test_delay_still_serves_the_request(cvat_server):
    with (
        admin_client(cvat_server) as client,
        cvat_server.fault(action="delay", path="/api/server/about", delay=0.2) as rule,
    ):
        assert client.get("/api/server/about").json()["version"] == "2.73.0"
        assert {r["id"]: r for r in cvat_server.faults()}[rule["id"]]["fired"] == 1


def test_drop_breaks_the_connection_mid_body(cvat_server):
    with cvat_server.fault(action="drop", path="/api/users$", nth=1):
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.get(cvat_server.url + "/api/users", headers=cvat_server.headers)
        # the next request is served normally
        assert (
            httpx.get(cvat_server.url + "/api/users", headers=cvat_server.headers).status_code
            == 200
        )


def test_processing_failure_for_one_task(cvat_server, image_files):
    with admin_client(cvat_server) as client:
        tasks = [
            client.post("/api/tasks", json={"name": f"pf{i}", "labels": [{"name": "a"}]}).json()
            for i in range(2)
        ]
        files = [("client_files[0]", (image_files[0].name, image_files[0].read_bytes()))]
        with cvat_server.fault(
            action="fail_processing", task_id=tasks[1]["id"], message="codec exploded"
        ):
            results = []
            for task in tasks:
                rq = client.post(
                    f"/api/tasks/{task['id']}/data", data={"image_quality": "70"}, files=files
                ).json()
                results.append(wait_request(client, rq["rq_id"]))
        assert [r["status"] for r in results] == ["finished", "failed"]
        assert results[1]["message"] == "codec exploded"


def test_body_limit_413(cvat_server):
    cvat_server.set_max_body_size(1000)
    try:
        with admin_client(cvat_server) as client:
            small = client.post("/api/projects", json={"name": "small"})
            assert small.status_code == 201
            big = client.post("/api/projects", json={"name": "x" * 2000})
            assert big.status_code == 413

            def stream():
                yield b'{"name": "'
                yield b"y" * 3000
                yield b'"}'

            streamed = client.post(
                "/api/projects", content=stream(), headers={"Content-Type": "application/json"}
            )
            assert streamed.status_code == 413
    finally:
        cvat_server.set_max_body_size(None)
    with admin_client(cvat_server) as client:
        assert client.post("/api/projects", json={"name": "x" * 2000}).status_code == 201


def test_control_endpoints_are_admin_only_and_validate_rules(cvat_server):
    user = cvat_server.create_user("fault-user", "pw")
    with user_client(cvat_server, user["token"]) as client:
        assert client.get("/_test/faults").status_code == 403
        assert client.post("/_test/reset").status_code == 403
    with admin_client(cvat_server) as client:
        assert client.post("/_test/faults", json={"action": "explode"}).status_code == 400
        assert client.post("/_test/faults", json={"path": "("}).status_code == 400
        assert client.post("/_test/faults", json={"nth": 0}).status_code == 400
        assert client.post("/_test/faults", json={"colour": "red"}).status_code == 400
    assert cvat_server.faults() == []
