"""launch_app / Session lifecycle and the `labelloop app` command, on real sockets."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

import labelloop as ll

REPO = str(Path(__file__).resolve().parents[2])


def test_launch_app_validates_arguments_before_starting(image_dataset):
    with pytest.raises(ValueError, match="either"):
        ll.launch_app(image_dataset, view=image_dataset.limit(2), auto=False)
    with pytest.raises(ValueError, match="port"):
        ll.launch_app(image_dataset, port=70000, auto=False)
    with pytest.raises(TypeError, match="Dataset or DatasetView"):
        ll.launch_app("not a dataset", auto=False)


def test_a_taken_port_is_reported_with_the_fix(image_dataset):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match="port=0"):
            ll.launch_app(image_dataset, port=port, address="127.0.0.1", auto=False)


def test_view_launch_exposes_dataset_view_and_url(image_dataset):
    view = image_dataset.match_tags("odd")
    with ll.launch_app(view=view, port=0, auto=False) as session:
        assert session.dataset is image_dataset
        assert session.view == view
        assert session.url == f"http://localhost:{session.port}/"
        info = httpx.get(session.url + "api/dataset").json()
        assert info["count"] == view.count() and info["view"] == "MatchTags"
        page = httpx.get(session.url)
        assert page.status_code == 200 and image_dataset.name in page.text
        assert "running" in repr(session)
    assert session.closed and "closed" in repr(session)
    with pytest.raises(httpx.ConnectError):
        httpx.get(session.url + "api/version")


def test_session_without_a_dataset_serves_an_empty_page():
    with ll.launch_app(port=0, auto=False) as session:
        info = httpx.get(session.url + "api/dataset").json()
        assert info["name"] is None and info["count"] == 0
        assert httpx.get(session.url + "api/samples").status_code == 404


def test_wait_returns_once_a_connected_page_goes_away(session):
    httpx.get(session.url + "api/version")  # a page polled once, then stopped polling
    done = threading.Event()
    waiter = threading.Thread(target=lambda: (session.wait(wait=0.5), done.set()))
    waiter.start()
    waiter.join(timeout=30)
    assert done.is_set()


def test_wait_forever_ends_when_the_session_is_closed(session):
    waiter = threading.Thread(target=session.wait, kwargs={"wait": -1})
    waiter.start()
    session.close()
    waiter.join(timeout=30)
    assert not waiter.is_alive()


def test_cli_serves_a_stored_dataset_until_stopped(image_dataset):
    image_dataset.persistent = True
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "labelloop",
            "app",
            image_dataset.name,
            "--port",
            "0",
            "--no-browser",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": REPO},
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("App running at http://localhost:"), line
        url = line.split()[3]
        info = httpx.get(url + "api/dataset", timeout=30).json()
        assert info["name"] == image_dataset.name and info["count"] == len(image_dataset)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        image_dataset.persistent = False


def test_cli_names_the_stored_datasets_when_one_is_missing():
    result = subprocess.run(
        [sys.executable, "-m", "labelloop", "app", "no-such-dataset", "--no-browser"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": REPO},
        timeout=60,
    )
    assert result.returncode != 0
    assert "no dataset named 'no-such-dataset'" in result.stderr


def test_auto_opens_the_url_in_the_browser_and_notebooks_get_an_iframe(tmp_path, image_dataset):
    opened = tmp_path / "opened.txt"
    script = (
        "import labelloop as ll\n"
        f"s = ll.launch_app(ll.load_dataset({image_dataset.name!r}), port=0)\n"
        "print(s.url, flush=True)\n"
        "s.close()\n"
    )
    recorder = (
        f"{sys.executable} -c \"import sys; open({str(opened)!r}, 'w').write(sys.argv[1])\" %s"
    )
    image_dataset.persistent = True
    try:
        result = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PYTHONPATH": REPO, "BROWSER": recorder},
        )
    finally:
        image_dataset.persistent = False
    assert result.returncode == 0, result.stderr
    url = result.stdout.split()[0]
    assert opened.read_text() == url
    with ll.launch_app(image_dataset, port=0, auto=False) as session:
        assert f'src="{session.url}"' in session._repr_html_()
