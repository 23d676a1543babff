"""``labelloop demo`` as a user runs it: a real process, a real server, real edits."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time

import labelloop as ll
from labelloop.testing.annotator import Annotator
from tests.cli.helpers import REPO, run_process


def _counts(stdout: str, title: str) -> tuple[int, int, int]:
    """(added, deleted, edited) from the report table printed under ``title``."""
    block = stdout.split(title, 1)[1]
    row = re.search(r"ground_truth\s*\S\s*(\d+)\s*\S\s*(\d+)\s*\S\s*(\d+)", block)
    assert row, block
    return tuple(int(x) for x in row.groups())


def test_demo_runs_offline_end_to_end_and_leaves_nothing_behind():
    before = set(ll.list_datasets())
    proc = run_process("demo")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "No CVAT server configured" in out
    assert "A scripted annotator (a program, not a person)" in out
    for edit in ("moved a", "changed a box's label", "deleted a", "drew a new", "completed"):
        assert edit in out
    # the scripted annotator's four edits: one box added, one deleted, two edited
    assert _counts(out, "Dry run") == (1, 1, 2)
    assert _counts(out, "Merged") == (1, 1, 2)
    totals = re.search(r"total\s*\S\s*(\d+)\s*\S\s*(\d+)", out.split("Before and after", 1)[1])
    assert totals and int(totals[1]) == int(totals[2])  # one added, one deleted
    assert "Demo complete." in out
    assert "Traceback" not in proc.stderr
    # only the zoo dataset may be new; the throwaway copy is gone
    assert set(ll.list_datasets()) - before <= {"quickstart"}


def _play_the_person(server, stop: threading.Event, done: list) -> None:
    try:
        _edit_when_ready(server, stop, done)
    except Exception as err:  # shown by the test's assertion
        done.append(err)


def _edit_when_ready(server, stop: threading.Event, done: list) -> None:
    with server.client() as client, Annotator(server.url, server.username, server.password) as me:
        while not stop.is_set():
            tasks = client.get("/api/tasks").json()["results"]
            jobs = me.jobs(tasks[0]["id"]) if tasks else []
            if jobs and me.annotations(jobs[0]["id"])["shapes"]:  # media and labels uploaded
                for job in jobs:
                    shape = me.annotations(job["id"])["shapes"][0]
                    me.move_shape(job["id"], shape["id"], 3, 4)
                    me.complete(job["id"])
                    done.append(job["id"])
                return
            time.sleep(0.2)


def test_demo_with_a_configured_server_waits_for_the_person(cvat_server_fresh):
    server = cvat_server_fresh
    stop, done = threading.Event(), []
    person = threading.Thread(target=_play_the_person, args=(server, stop, done))
    person.start()
    try:
        proc = run_process(
            "demo",
            "--no-browser",
            "--poll-interval",
            "0.2",
            "--timeout",
            "30",
            env={
                "LABELLOOP_CVAT_URL": server.url,
                "LABELLOOP_CVAT_USERNAME": server.username,
                "LABELLOOP_CVAT_PASSWORD": server.password,
            },
        )
    finally:
        stop.set()
        person.join(30)
    assert done and all(isinstance(job, int) for job in done), done
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"Using the CVAT server at {server.url}" in proc.stdout
    assert "scripted annotator" not in proc.stdout
    assert f"/jobs/{done[0]}" in proc.stdout  # the link the person opens
    assert _counts(proc.stdout, "Merged") == (0, 0, 1)
    assert server.client().get("/api/tasks").json()["count"] == 0  # cleaned up
    assert server.password not in proc.stdout + proc.stderr


def test_ctrl_c_while_waiting_removes_what_the_demo_created(cvat_server_fresh):
    server = cvat_server_fresh
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "LABELLOOP_CVAT_URL": server.url,
        "LABELLOOP_CVAT_USERNAME": server.username,
        "LABELLOOP_CVAT_PASSWORD": server.password,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "labelloop", "demo", "--no-browser", "--poll-interval", "0.2"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if "Ctrl-C stops waiting" in line:
            break
    with server.client() as client:
        assert client.get("/api/tasks").json()["count"] == 1  # the demo's task is up
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, "".join(lines) + out + err
    assert "Deleted the CVAT task." in out and "Interrupted." in err
    assert "Traceback" not in err
    with server.client() as client:
        assert client.get("/api/tasks").json()["count"] == 0
