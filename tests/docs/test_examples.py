"""Every script in examples/ runs against the local CVAT server; where it waits for the reader
to annotate in CVAT ("press Enter"), the test's person does the work instead."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs import person

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "examples").glob("*.py"))
#: What each script's output must show of the person's work (a moved box is an edit).
EXPECTED = {
    "basic_recipe.py": ['"edited": 1', '"dry_run": true'],
    "new_label_field.py": ['"added": 1', "new_classifications: [<Classifications"],
    "edit_existing_labels.py": ['"edited": 1'],
    "restrict_edits.py": ["refused: [('spatial edit'"],
    "multiple_fields.py": ['"edited": 1'],
    "projects.py": ["project id: [", "project_second {"],
    "large_runs.py": ["3 tasks, 6 jobs", '"edited": 6'],
    "scalar_labels.py": ["cleaned up"],
    "alternate_media.py": ['"edited": 1'],
    "occlusion_widget.py": ['"edited": ', "occluded: [False"],
}


def _tasks(server) -> tuple[int, int]:
    """How many tasks and projects the server holds."""
    with server.client() as client:
        return tuple(client.get(f"/api/{kind}").json()["count"] for kind in ("tasks", "projects"))


def run_example(path: Path, server, env: dict[str, str]) -> tuple[int, str, str]:
    """Run ``path``; each "press Enter" prompt is answered after the person did the work."""
    full_env = {**os.environ, **env}
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    proc = subprocess.Popen(
        [sys.executable, "-u", str(path)],
        cwd=REPO,
        env=full_env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out: list[str] = []
    buffer = ""
    while True:
        char = proc.stdout.read(1)
        if not char:
            break
        buffer += char
        if char == "\n":
            out.append(buffer)
            buffer = ""
        elif buffer.endswith("press Enter "):
            assert person.play(server) > 0, f"{path.name} asked for work but no job is open"
            proc.stdin.write("\n")
            proc.stdin.flush()
            out.append(buffer + "\n")
            buffer = ""
    stderr = proc.stderr.read()
    return proc.wait(timeout=60), "".join(out) + buffer, stderr


def test_every_example_is_listed():
    assert {p.name for p in EXAMPLES} == set(EXPECTED)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs(path, cvat_server, reader_env):
    tasks_before = _tasks(cvat_server)
    code, out, err = run_example(path, cvat_server, reader_env)
    assert code == 0, out + err
    for expected in EXPECTED[path.name]:
        assert expected in out, out
    assert _tasks(cvat_server) == tasks_before  # the script cleaned up after itself
    assert cvat_server.password not in out + err
