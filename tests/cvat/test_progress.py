"""Progress bars: one library draws them, merges show their totals, and output that is not
a terminal (a pipe, a log file, CI) gets no carriage-return clutter."""

from __future__ import annotations

import re
from pathlib import Path

import labelloop.progress
from tests.cvat.test_user_state import _creds, _evaluated

PACKAGE = Path(labelloop.progress.__file__).parent


def test_only_labelloop_progress_draws_bars():
    drawers = re.compile(r"^\s*(from tqdm|import tqdm|from rich\.progress)", re.MULTILINE)
    users = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if drawers.search(path.read_text(encoding="utf-8"))
    )
    assert users == ["progress.py"]


def test_no_carriage_returns_when_stderr_is_not_a_terminal(cvat_server_fresh, tmp_path, capsys):
    dataset = _evaluated(tmp_path, "progress-pipe", count=3)
    dataset.annotate("run", label_field="gt", **_creds(cvat_server_fresh))
    capsys.readouterr()
    dataset.load_annotations("run", progress=True, **_creds(cvat_server_fresh))
    list(dataset.iter_samples(progress=True))
    err = capsys.readouterr().err
    assert "\r" not in err and "Merging" not in err


def test_merge_bar_shows_the_total_on_a_terminal(cvat_server_fresh, tmp_path, capsys, monkeypatch):
    dataset = _evaluated(tmp_path, "progress-total", count=3)
    dataset.annotate("run", label_field="gt", **_creds(cvat_server_fresh))
    monkeypatch.setattr(labelloop.progress, "on_terminal", lambda: True)
    capsys.readouterr()
    dataset.load_annotations("run", progress=True, **_creds(cvat_server_fresh))
    err = capsys.readouterr().err
    assert re.search(r"Merging run: 100%.*3/3", err), err
