"""Ctrl-C during ``labelloop annotate`` at any moment: no task left behind, no traceback.

The command runs as a real process (the console script's code path) against the CVAT
server and gets SIGINT at delays spread over a whole run, from its first imports to its
last request (the few milliseconds in which Python finds the package, before any of its
code runs, are Python's). Afterwards every task on the server belongs to a recorded run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

import labelloop as ll
from tests.cli.data import boxes_dataset
from tests.cli.helpers import REPO

#: ``labelloop ARGS`` exactly as the installed console script runs it.
_CONSOLE_SCRIPT = (
    "import sys; print('started', flush=True); sys.argv[0] = 'labelloop'; "
    "from labelloop.cli import main; sys.exit(main())"
)


def _start(server, key: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-c", _CONSOLE_SCRIPT, "annotate", "interrupted", key,
         "--label-field", "gt", "--task-size", "2", "--url", server.url,
         "--username", server.username, "--password", server.password],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout.readline().strip() == "started"
    return process


def _task_ids(server) -> set[int]:
    with server.client() as client:
        found = client.get("/api/tasks", params={"page_size": 1000}).json()["results"]
    return {int(task["id"]) for task in found}


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_sigint_at_any_moment_leaves_no_orphan_task_and_no_traceback(cvat_server_fresh, tmp_path):
    server = cvat_server_fresh
    boxes_dataset(tmp_path, "interrupted", count=8)  # 4 tasks of 2 images
    began = time.monotonic()
    whole = _start(server, "whole")
    out, err = whole.communicate(timeout=300)
    duration = time.monotonic() - began
    assert whole.returncode == 0, err
    outcomes = []
    for i in range(1, 15):
        key = f"cut{i}"
        process = _start(server, key)
        time.sleep(duration * i / 13)  # the last ones land after the run finished
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=300)
        outcomes.append((key, process.returncode, err))
        assert "Traceback" not in err, f"SIGINT after {duration * i / 13:.1f}s:\n{err}"
        # interrupted (130; -2 while Python itself was still starting) or already done
        assert process.returncode in (0, 130, -signal.SIGINT), (process.returncode, err)
    dataset = ll.load_dataset("interrupted")
    recorded = set()
    for key in dataset.list_annotation_runs():
        creds = {"username": server.username, "password": server.password}
        recorded |= set(dataset.load_annotation_results(key, **creds).task_ids)
    assert _task_ids(server) == recorded, outcomes
    assert any(code != 0 for _, code, _ in outcomes)  # some runs really were cut
