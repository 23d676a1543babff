"""The server as a process: the CLI, restarts keeping state, startup errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from labelloop.testing.cvat_server import LocalCVATServer
from tests.cvat_server.helpers import admin_client, create_task

pytestmark = pytest.mark.local_cvat_only(reason="tests the local server's process")

ROOT = Path(__file__).resolve().parents[2]


def test_restart_keeps_projects_tasks_media_and_annotations(tmp_path, image_files):
    data_dir = tmp_path / "state"
    with LocalCVATServer(data_dir, username="root", password="pw", version="2.73.1") as server:
        with admin_client(server) as client:
            assert client.get("/api/server/about").json()["version"] == "2.73.1"
            project = client.post(
                "/api/projects", json={"name": "kept", "labels": [{"name": "a"}]}
            ).json()
            task = create_task(
                client, image_files[:2], labels=[], project_id=project["id"], name="kept-task"
            )
            label = client.get("/api/labels", params={"project_id": project["id"]}).json()[
                "results"
            ][0]
            box = {"type": "rectangle", "label_id": label["id"], "frame": 1, "points": [1, 2, 3, 4]}
            written = client.put(
                f"/api/tasks/{task['id']}/annotations", json={"shapes": [box]}
            ).json()
        token = server.admin_token
    with LocalCVATServer(data_dir, username="root", password="changed") as server:
        assert server.admin_token == token
        login = httpx.post(
            server.url + "/api/auth/login", json={"username": "root", "password": "changed"}
        )
        assert login.status_code == 200
        with admin_client(server) as client:
            assert client.get(f"/api/projects/{project['id']}").json()["name"] == "kept"
            again = client.get(f"/api/tasks/{task['id']}").json()
            assert (again["size"], again["jobs"]["count"]) == (2, 1)
            annotations = client.get(f"/api/tasks/{task['id']}/annotations").json()
            assert annotations["shapes"] == written["shapes"]
            assert annotations["version"] == written["version"]
            frame = client.get(
                f"/api/tasks/{task['id']}/data",
                params={"type": "frame", "number": 1, "quality": "original"},
            )
            assert frame.content == image_files[1].read_bytes()
            # new ids never reuse old ones
            new_task = client.post(
                "/api/tasks", json={"name": "new", "labels": [{"name": "b"}]}
            ).json()
            assert new_task["id"] > task["id"]
        assert server.create_user("later", "pw")["id"] > 1


def test_cli_command_starts_a_server(tmp_path):
    env = {**os.environ, "LABELLOOP_CVAT_SERVER_PASSWORD": "from-env", "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable,
        "-m",
        "labelloop",
        "cvat-server",
        "--port",
        "0",
        "--data-dir",
        str(tmp_path),
        "--username",
        "boss",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        ready = tmp_path / "server.json"
        deadline = time.monotonic() + 30
        while not ready.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ready.exists(), (
            process.stderr.read().decode() if process.poll() is not None else "no server.json"
        )
        info = json.loads(ready.read_text())
        assert info["url"].startswith("http://127.0.0.1:")
        assert oct(ready.stat().st_mode & 0o777) == "0o600"
        login = httpx.post(
            info["url"] + "/api/auth/login", json={"username": "boss", "password": "from-env"}
        )
        assert login.status_code == 200
        assert login.json()["key"] == info["admin_token"]
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert not (tmp_path / "server.json").exists()


def test_bad_arguments_fail_before_starting(tmp_path):
    with pytest.raises(ValueError, match="max_body_size"):
        LocalCVATServer(tmp_path, max_body_size=-1)
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    server = LocalCVATServer(blocker / "data")
    with pytest.raises((RuntimeError, OSError)):
        server.start()


def test_server_imports_nothing_of_the_library():
    """The server package loads with a bare ``labelloop`` namespace and pulls in no library module."""
    script = (
        "import sys, types\n"
        f"package = types.ModuleType('labelloop'); package.__path__ = [{str(ROOT / 'labelloop')!r}]\n"
        "sys.modules['labelloop'] = package\n"
        "import labelloop.testing.cvat_server.app, labelloop.testing.cvat_server.server\n"
        "import labelloop.testing.cvat_server.command, labelloop.testing.annotator\n"
        "print(sorted(m for m in sys.modules if m.startswith('labelloop.') and not m.startswith('labelloop.testing')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_fresh_fixture_starts_from_an_empty_server(cvat_server_fresh):
    with admin_client(cvat_server_fresh) as client:
        assert client.get("/api/tasks").json()["count"] == 0
        assert client.get("/api/projects").json()["count"] == 0
        users = client.get("/api/users").json()["results"]
        assert [u["username"] for u in users] == [cvat_server_fresh.username]
        created = client.post("/api/projects", json={"name": "after-reset"})
        assert created.status_code == 201
    assert cvat_server_fresh.faults() == []
