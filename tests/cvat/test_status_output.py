"""What users asked for is printed on stdout: run status and the editor's link."""

from __future__ import annotations

import pytest

from tests.cvat.test_user_state import _creds, _evaluated


def test_print_status_prints_to_stdout(cvat_server_fresh, tmp_path, capsys):
    dataset = _evaluated(tmp_path, "status-stdout", count=2)
    results = dataset.annotate("run", label_field="gt", **_creds(cvat_server_fresh))
    capsys.readouterr()
    results.print_status()
    out = capsys.readouterr().out
    (task_id,) = results.task_ids
    assert "Status for label field 'gt':" in out
    assert f"Task {task_id} (" in out and f"{cvat_server_fresh.url}/tasks/{task_id}" in out
    assert "Assignee: None" in out


@pytest.mark.parametrize("opened", [True, False])
def test_launch_editor_prints_the_link_and_says_when_no_browser_opened(
    cvat_server_fresh, tmp_path, capsys, monkeypatch, opened
):
    import webbrowser

    seen: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url, new=0: seen.append(url) or opened)
    dataset = _evaluated(tmp_path, f"editor-{opened}", count=1)
    results = dataset.annotate(
        "run", label_field="gt", launch_editor=True, **_creds(cvat_server_fresh)
    )
    out = capsys.readouterr().out
    (task_id,) = results.task_ids
    (job_id,) = results.job_ids[task_id]
    link = f"{cvat_server_fresh.url}/tasks/{task_id}/jobs/{job_id}"
    assert seen == [link] and link in out
    assert ("No web browser could be opened" in out) is (not opened)
