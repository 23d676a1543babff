"""RemoteCVAT: the tests' view of a real CVAT, driven here against the local server's REST API
(the same calls it makes on CVAT: login, registration, user groups, listings, deletes)."""

from __future__ import annotations

import httpx
import pytest

from labelloop.testing import remote_cvat
from labelloop.testing.fixtures import LOCAL_ONLY_MARKER, skip_local_only


def test_users_and_reset_keep_what_the_server_held_before(cvat_server_fresh):
    with cvat_server_fresh.client() as client:
        kept = client.post("/api/projects", json={"name": "before", "labels": []}).json()["id"]
    remote = remote_cvat.RemoteCVAT(
        cvat_server_fresh.url, cvat_server_fresh.username, cvat_server_fresh.password
    )
    assert remote.password not in repr(remote) and remote.admin_token not in repr(remote)
    user = remote.create_user("walter", "Annotate-Loop-2026", group="worker")
    with httpx.Client(
        base_url=remote.url, headers={"Authorization": f"Token {user['token']}"}
    ) as c:
        me = c.get("/api/users/self").json()
    assert (me["id"], me["username"], me["groups"]) == (user["id"], "walter", ["worker"])
    with remote.client() as client:
        made = client.post("/api/projects", json={"name": "during", "labels": []}).json()["id"]
        task = client.post("/api/tasks", json={"name": "t", "project_id": made}).json()["id"]
    remote.reset()
    with remote.client() as client:
        projects = [p["id"] for p in client.get("/api/projects").json()["results"]]
        users = [u["username"] for u in client.get("/api/users").json()["results"]]
        assert client.get(f"/api/tasks/{task}").status_code == 404
    assert projects == [kept]
    assert users == [cvat_server_fresh.username]


def test_reset_still_cleans_up_after_a_logout_revoked_the_token(cvat_server_fresh):
    # a superuser of its own: logging out deletes the user's one REST token, and the
    # session's admin token must stay valid for the other tests
    with cvat_server_fresh.client() as admin:
        before = admin.get("/api/users").json()["count"]
    cvat_server_fresh.create_user("resetter", "Reset-Loop-2026", group="admin")
    remote = remote_cvat.RemoteCVAT(cvat_server_fresh.url, "resetter", "Reset-Loop-2026")
    with remote.client() as client:
        made = client.post("/api/projects", json={"name": "orphan", "labels": []}).json()["id"]
    with httpx.Client(base_url=remote.url) as browser:
        browser.post(
            "/api/auth/login", json={"username": "resetter", "password": "Reset-Loop-2026"}
        )
        out = browser.post(
            "/api/auth/logout", headers={"X-CSRFToken": browser.cookies["csrftoken"]}
        )
        assert out.status_code == 200
    with remote.client() as client:
        assert client.get("/api/users/self").status_code == 401  # the token is gone
    remote.reset()
    with cvat_server_fresh.client() as admin:
        assert admin.get(f"/api/projects/{made}").status_code == 404
        assert admin.get("/api/users").json()["count"] == before + 1  # resetter came before


def test_environment_names_the_server_or_nothing(monkeypatch):
    monkeypatch.delenv(remote_cvat.URL_ENV, raising=False)
    assert remote_cvat.from_environment() is None
    with pytest.raises(ValueError, match=remote_cvat.PASSWORD_ENV):
        remote_cvat.RemoteCVAT("http://127.0.0.1:1", "admin", "")


def test_local_only_tests_skip_with_their_reason_on_a_real_cvat(request, monkeypatch):
    request.node.add_marker(getattr(pytest.mark, LOCAL_ONLY_MARKER)(reason="injects a fault"))
    monkeypatch.delenv(remote_cvat.URL_ENV, raising=False)
    skip_local_only(request.node)  # on the local server: runs
    monkeypatch.setenv(remote_cvat.URL_ENV, "http://cvat.example")
    with pytest.raises(pytest.skip.Exception, match="injects a fault"):
        skip_local_only(request.node)
