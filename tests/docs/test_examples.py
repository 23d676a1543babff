"""Every script in examples/ runs against the local CVAT server; where it waits for the reader
to annotate in CVAT (its ``input("... press Enter ")``), the test's person does the work
instead. Scripts run in this process (``runpy``) to keep the suite fast; the README's demo
test covers the real-process path."""

from __future__ import annotations

import builtins
import runpy
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
    "video_tracks.py": ["1 task (one per video)", '"added": 3'],
    "occlusion_widget.py": ['"edited": ', "occluded: [False"],
}


def _tasks(server) -> tuple[int, int]:
    """How many tasks and projects the server holds."""
    with server.client() as client:
        return tuple(client.get(f"/api/{kind}").json()["count"] for kind in ("tasks", "projects"))


def run_example(path: Path, server, capsys, monkeypatch) -> str:
    """Run ``path`` as ``__main__`` in this process; each "press Enter" prompt is answered
    after the person did the work. Returns what the script printed."""

    printed: list[str] = []

    def answer(prompt: str = "") -> str:
        printed.append(capsys.readouterr().out)
        # the reader is told where to work: the editor's link is on stdout
        assert f"{server.url}/tasks/" in "".join(printed), f"{path.name} printed no editor link"
        print(prompt)
        assert person.play(server) > 0, f"{path.name} asked for work but no job is open"
        return ""

    monkeypatch.setattr(builtins, "input", answer)
    runpy.run_path(str(path), run_name="__main__")
    return "".join(printed) + capsys.readouterr().out


def test_every_example_is_listed():
    assert {p.name for p in EXAMPLES} == set(EXPECTED)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs(path, cvat_server, reader_env, capsys, monkeypatch):
    tasks_before = _tasks(cvat_server)
    out = run_example(path, cvat_server, capsys, monkeypatch)
    for expected in EXPECTED[path.name]:
        assert expected in out, out
    assert _tasks(cvat_server) == tasks_before  # the script cleaned up after itself
    assert cvat_server.password not in out
