"""Several processes writing one PostgreSQL dataset at once: every write lands, runs load once."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

import labelloop as ll
from tests.annotation import memory_backend

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _spawn(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.postgres.workers", *args],
        env=dict(os.environ, PYTHONPATH=ROOT),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run_together(tmp_path, *commands: list[str]) -> list[tuple[int, str, str]]:
    """Start the workers, release them at once, and return ``(status, stdout, stderr)``."""
    go = str(tmp_path / "go")
    procs = [_spawn(*cmd, go) for cmd in commands]
    open(go, "w").close()
    out = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=120)
        out.append((proc.returncode, stdout, stderr))
    return out


def _dataset(name: str, n: int) -> ll.Dataset:
    dataset = ll.Dataset(name, persistent=True)
    dataset.add_samples(
        [
            ll.Sample(f"/data/{i}.jpg", gt=ll.Detections(detections=[ll.Detection(label="x")]))
            for i in range(n)
        ]
    )
    return dataset


def test_two_processes_editing_different_samples_both_land(on_postgres, tmp_path):
    dataset = _dataset("pg-edit", 40)
    results = _run_together(
        tmp_path, ["edit", dataset.name, "0", "20"], ["edit", dataset.name, "20", "40"]
    )
    assert [r[0] for r in results] == [0, 0], results
    editors = dataset.values("editor")
    assert None not in editors and len(set(editors)) == 2
    labels = dataset.values("gt.detections.label")
    assert all(len(ls) == 2 and ls[0] == "x" for ls in labels)
    assert {ls[1] for ls in labels[:20]} == {"by-0"} and {ls[1] for ls in labels[20:]} == {"by-20"}


def _prepared_run(dataset: ll.Dataset, key: str, tmp_path, label: str) -> str:
    """Upload ``gt`` as run ``key``, let the 'annotator' add one box per sample, save the state."""
    dataset.annotate(key, backend="memory", label_field="gt", label_type="detections")
    state = memory_backend.SERVER[key]
    for boxes in state["labels"]["gt"].values():
        box = ll.Detection(label=label, bounding_box=[0.1, 0.1, 0.2, 0.2])
        boxes[box.id] = box
    path = str(tmp_path / f"{key}.pickle")
    with open(path, "wb") as fh:
        pickle.dump(state, fh)
    return path


def test_two_runs_merged_into_one_field_at_once_both_land(on_postgres, memory_runs, tmp_path):
    dataset = _dataset("pg-merge", 40)
    first = _prepared_run(dataset, "first", tmp_path, "from-first")
    second = _prepared_run(dataset, "second", tmp_path, "from-second")
    results = _run_together(
        tmp_path,
        ["merge", dataset.name, first, "first"],
        ["merge", dataset.name, second, "second"],
    )
    assert [r[0] for r in results] == [0, 0], results
    for labels in dataset.values("gt.detections.label"):
        assert sorted(labels) == ["from-first", "from-second", "x"]


def test_read_modify_write_transactions_of_two_processes_never_lose_an_update(
    on_postgres, tmp_path
):
    dataset = _dataset("pg-counter", 1)
    sample = dataset.first()
    sample["n"] = 0
    sample.save()
    results = _run_together(
        tmp_path, ["count", dataset.name, sample.id, "25"], ["count", dataset.name, sample.id, "25"]
    )
    assert [r[0] for r in results] == [0, 0], results
    sample.reload()
    assert sample["n"] == 50


def test_adding_samples_while_another_process_iterates_and_saves(on_postgres, tmp_path):
    dataset = _dataset("pg-add-iterate", 40)
    done = str(tmp_path / "done")
    go = str(tmp_path / "go")
    adder = _spawn("add", dataset.name, "5", "20", go)
    reader = _spawn("iterate", dataset.name, done, go)
    open(go, "w").close()
    add_out = adder.communicate(timeout=120)
    assert adder.returncode == 0, add_out
    open(done, "w").close()
    stdout, stderr = reader.communicate(timeout=120)
    assert reader.returncode == 0, stderr
    assert "incomplete" not in stdout
    assert len(dataset) == 40 + 5 * 20
    assert all(
        len(labels) == 2 or labels == ["x"] for labels in dataset.values("gt.detections.label")
    )
    last_pass = int(stdout.split()[-1]) - 1
    assert dataset.values("seen") == [last_pass] * len(dataset)
