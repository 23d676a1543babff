"""The annotation runs panel against the local CVAT-compatible server: list, live status,
dry-run diff then merge, a new run from the current view, and the panel in Chromium."""

from __future__ import annotations

import json

import httpx
import pytest

import labelloop as ll
from labelloop.testing.annotator import Annotator
from labelloop.testing.fixtures import cvat_server  # noqa: F401  (session-scoped fixture)
from tests.app.conftest import make_image_dataset, open_grid


@pytest.fixture
def run_dataset(tmp_path, cvat_server, monkeypatch):  # noqa: F811
    """Six samples; run ``first`` sent their ground truth to the server."""
    dataset = make_image_dataset(str(tmp_path), 6)
    dataset.annotate(
        "first",
        label_field="ground_truth",
        url=cvat_server.url,
        username=cvat_server.username,
        password=cvat_server.password,
    )
    # The App reads credentials from the environment only, never from the page.
    monkeypatch.setenv("LABELLOOP_CVAT_USERNAME", cvat_server.username)
    monkeypatch.setenv("LABELLOOP_CVAT_PASSWORD", cvat_server.password)
    yield dataset
    dataset.delete()


@pytest.fixture
def app_session(run_dataset):
    with ll.launch_app(run_dataset, port=0, auto=False) as session:
        yield session


def _draw_a_new_box(server, dataset) -> int:
    """Like an annotator in CVAT's UI: add one 'bird' box to the run's first job."""
    results = dataset.load_annotation_results("first")
    (task_id,) = results.task_ids
    with Annotator(server.url, server.username, server.password) as person:
        job_id = person.jobs(task_id)[0]["id"]
        person.add_shape(job_id, type="rectangle", label="bird", points=[10, 10, 50, 40], frame=0)
    return job_id


def _post(session, path, body, **headers):
    return httpx.post(
        session.url.rstrip("/") + path,
        content=json.dumps(body),
        headers={"Content-Type": "application/json", **headers},
        timeout=60,
    )


def _labels(dataset):
    return sum(len(s.ground_truth.detections) for s in dataset)


def test_runs_status_dry_run_and_merge_over_http(app_session, run_dataset, cvat_server):  # noqa: F811
    runs = httpx.get(app_session.url + "api/runs").json()["runs"]
    assert [r["key"] for r in runs] == ["first"]
    assert runs[0]["fields"]["ground_truth"]["type"] == "detections"
    assert runs[0]["url"] == cvat_server.url and "password" not in json.dumps(runs)

    status = httpx.get(app_session.url + "api/runs/first/status", timeout=60).json()["status"]
    (task,) = status["ground_truth"].values()
    (job,) = task["jobs"].values()
    assert (job["stage"], job["state"]) == ("annotation", "new")
    assert job["url"].startswith(cvat_server.url + "/tasks/")

    _draw_a_new_box(cvat_server, run_dataset)
    before = _labels(run_dataset)
    dry = _post(app_session, "/api/runs/first/load", {"dry_run": True}).json()
    assert dry["dry_run"] and dry["fields"]["ground_truth"]["added"] == 1
    assert _labels(run_dataset) == before  # a dry run writes nothing

    version = httpx.get(app_session.url + "api/version").json()["version"]
    merged = _post(app_session, "/api/runs/first/load", {"dry_run": False}).json()
    assert not merged["dry_run"] and merged["fields"]["ground_truth"]["added"] == 1
    assert _labels(run_dataset) == before + 1
    assert any(
        d.label == "bird" and d.bounding_box[0] > 0
        for d in run_dataset.first().ground_truth.detections
    )
    assert httpx.get(app_session.url + "api/version").json()["version"] > version


def test_posts_need_json_from_the_apps_own_origin(app_session, run_dataset):
    form = httpx.post(app_session.url + "api/runs/first/load", data={"dry_run": "false"})
    assert form.status_code == 403
    foreign = _post(
        app_session, "/api/runs/first/load", {"dry_run": False}, Origin="http://evil.test"
    )
    assert foreign.status_code == 403
    rebinding = httpx.get(app_session.url + "api/runs", headers={"Host": "evil.test"})
    assert rebinding.status_code == 400


def test_missing_credentials_are_named_not_prompted(app_session, monkeypatch):
    monkeypatch.delenv("LABELLOOP_CVAT_PASSWORD")
    response = httpx.get(app_session.url + "api/runs/first/status")
    assert response.status_code == 400
    assert "LABELLOOP_CVAT_PASSWORD" in response.json()["error"]


def test_new_run_sends_the_filtered_view(app_session, run_dataset, cvat_server):  # noqa: F811
    body = {
        "anno_key": "odd_only",
        "label_field": "ground_truth",
        "filters": {"tags": ["odd"]},
        "url": cvat_server.url,
    }
    created = _post(app_session, "/api/runs", body)
    assert created.status_code == 200, created.text
    assert "odd_only" in run_dataset.list_annotation_runs()
    results = run_dataset.load_annotation_results("odd_only")
    sent = {
        entry["sample_id"] for frames in results.frame_id_map.values() for entry in frames.values()
    }
    assert sent == {s.id for s in run_dataset if "odd" in s.tags}
    again = _post(app_session, "/api/runs", body)
    assert again.status_code == 400 and "already exists" in again.json()["error"]
    unreachable = {**body, "anno_key": "nowhere", "url": "http://127.0.0.1:9"}
    failed = _post(app_session, "/api/runs", unreachable)
    assert failed.status_code == 502 and "127.0.0.1:9" in failed.json()["error"]
    assert "nowhere" not in run_dataset.list_annotation_runs()
    bad = _post(app_session, "/api/runs", {"anno_key": "x", "label_field": "gt", "password": "p"})
    assert bad.status_code == 400 and "password" in bad.json()["error"]


def test_runs_panel_in_the_browser(page, app_session, run_dataset, cvat_server):  # noqa: F811
    _draw_a_new_box(cvat_server, run_dataset)
    open_grid(page, app_session)
    page.click("#runs-toggle")
    run = page.locator(".run[data-key='first']")
    run.locator(".run-status-btn").click()
    job_link = run.locator("tr.job a").first
    job_link.wait_for()
    assert job_link.get_attribute("href").startswith(cvat_server.url + "/tasks/")
    assert run.locator("tr.job td").nth(2).inner_text() == "new"

    before = _labels(run_dataset)
    run.locator(".run-load-btn").click()
    added = run.locator("table.diff tr[data-field='ground_truth'] td").nth(1)
    added.wait_for()
    assert added.inner_text() == "1"
    review = run.locator("ul.review li.review-added")  # the itemised review, before merging
    assert review.count() == 1 and "ground_truth" in review.first.inner_text()
    assert _labels(run_dataset) == before
    run.locator(".run-merge-btn").click()
    run.locator(".merged").wait_for()
    assert _labels(run_dataset) == before + 1
    version = httpx.get(app_session.url + "api/version").json()["version"]
    page.wait_for_function(f"document.body.dataset.ready === '{version}'")  # the page followed
    assert run.locator(".merged").is_visible()  # and kept the merge result on screen

    page.fill("#new-run input[name='anno_key']", "from_page")
    page.fill("#new-run input[name='label_field']", "ground_truth")
    page.fill("#new-run input[name='url']", cvat_server.url)
    page.click("#new-run button[type='submit']")
    page.wait_for_function(
        "() => document.getElementById('runs-msg').textContent.startsWith('Created run from_page')"
    )
    assert "from_page" in run_dataset.list_annotation_runs()


def test_cvat_url_set_after_import_is_used_for_a_new_run(
    app_session,
    run_dataset,
    cvat_server,  # noqa: F811
    monkeypatch,
):
    from labelloop.annotation.config import annotation_config

    assert annotation_config.backends["cvat"]["url"] != cvat_server.url  # read at import
    monkeypatch.setenv("LABELLOOP_CVAT_URL", cvat_server.url)
    body = {"anno_key": "env_url", "label_field": "ground_truth", "filters": {"tags": ["even"]}}
    created = _post(app_session, "/api/runs", body)
    assert created.status_code == 200, created.text
    run = next(
        r for r in httpx.get(app_session.url + "api/runs").json()["runs"] if r["key"] == "env_url"
    )
    assert run["url"] == cvat_server.url
    results = run_dataset.load_annotation_results("env_url")
    with Annotator(cvat_server.url, cvat_server.username, cvat_server.password) as person:
        assert person.jobs(results.task_ids[0])  # the task exists on the server the env names


def test_merge_keeps_unexpected_labels_and_writes_to_dest_field(
    app_session,
    run_dataset,
    cvat_server,  # noqa: F811
):
    results = run_dataset.load_annotation_results("first")
    (task_id,) = results.task_ids
    with Annotator(cvat_server.url, cvat_server.username, cvat_server.password) as person:
        job_id = person.jobs(task_id)[0]["id"]
        person.add_shape(job_id, type="rectangle", label="bird", points=[10, 10, 50, 40], frame=0)
        person.add_shape(
            job_id, type="polygon", label="cat", points=[5, 5, 60, 5, 60, 50, 5, 50], frame=0
        )
    for bad in (
        {"unexpected": "prompt"},
        {"unexpected": "return"},
        {"dest_field": 3},
        {"other": 1},
    ):
        refused = _post(app_session, "/api/runs/first/load", {"dry_run": False, **bad})
        assert refused.status_code == 400, bad
    assert not run_dataset.has_field("reviewed") and not run_dataset.has_field("polylines")

    dry = _post(
        app_session,
        "/api/runs/first/load",
        {"dry_run": True, "unexpected": "keep", "dest_field": "reviewed"},
    )
    assert dry.status_code == 200, dry.text
    assert not run_dataset.has_field("reviewed")  # a dry run writes nothing
    merged = _post(
        app_session,
        "/api/runs/first/load",
        {"dry_run": False, "unexpected": "keep", "dest_field": "reviewed"},
    )
    assert merged.status_code == 200, merged.text
    first = run_dataset.first()
    gt_labels = [d.label for d in first.ground_truth.detections]
    assert "bird" not in gt_labels  # the run's field is left as it was
    assert "bird" in [d.label for d in first.reviewed.detections]
    assert [p.label for p in first.polylines.polylines] == ["cat"]  # kept, named after its type


def test_merge_options_in_the_browser(page, app_session, run_dataset, cvat_server):  # noqa: F811
    job_id = _draw_a_new_box(cvat_server, run_dataset)
    with Annotator(cvat_server.url, cvat_server.username, cvat_server.password) as person:
        person.add_shape(job_id, type="polygon", label="cat", points=[5, 5, 60, 5, 60, 50], frame=0)
    open_grid(page, app_session)
    page.click("#runs-toggle")
    run = page.locator(".run[data-key='first']")
    run.locator("select[name='unexpected']").select_option("keep")
    run.locator("input[name='dest_field']").fill("reviewed")
    run.locator(".run-load-btn").click()
    run.locator(".run-merge-btn").wait_for()
    assert not run_dataset.has_field("reviewed")
    run.locator(".run-merge-btn").click()
    run.locator(".merged").wait_for()
    first = run_dataset.first()
    assert "bird" in [d.label for d in first.reviewed.detections]
    assert "bird" not in [d.label for d in first.ground_truth.detections]
    assert [p.label for p in first.polylines.polylines] == ["cat"]


def test_runs_panel_columns_are_labelled_and_placeholders_fit(
    page, app_session, run_dataset, tmp_path
):
    open_grid(page, app_session)
    page.click("#runs-toggle")
    run = page.locator(".run[data-key='first']")
    run.locator(".run-status-btn").click()
    run.locator("tr.job a").first.wait_for()
    page.screenshot(path=str(tmp_path / "runs-panel.png"))
    headers = run.locator(".run-status th").all_inner_texts()
    assert all(h.strip() for h in headers), headers  # every column says what it holds
    for row in run.locator(".run-status tr.job, .run-status tr.task").all():
        assert row.locator("td").count() == len(headers)
    fits = page.evaluate(
        """() => [...document.querySelectorAll('#runs input[placeholder]')].map((input) => {
            const style = getComputedStyle(input);
            const ctx = document.createElement('canvas').getContext('2d');
            ctx.font = style.font;
            const room = input.clientWidth - parseFloat(style.paddingLeft)
                - parseFloat(style.paddingRight);
            return [input.name, ctx.measureText(input.placeholder).width <= room];
        })"""
    )
    assert fits and all(ok for _, ok in fits), fits


def test_labelloop_app_prints_one_start_line_and_no_line_per_request(run_dataset, cvat_server):  # noqa: F811
    import os
    import signal
    import subprocess
    import sys

    from tests.cli.helpers import REPO

    run_dataset.persistent = True
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "labelloop", "app", run_dataset.name, "--port", "0", "--no-browser"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        first = process.stdout.readline()
        assert first.startswith("App running at "), first
        url = first.split()[3]
        for path in ("api/samples", "api/runs", "api/runs/first/status", "api/version"):
            assert httpx.get(url + path, timeout=120).status_code == 200, path
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    printed = first + out + err
    assert printed.count("App running at") == 1, printed
    assert "HTTP Request" not in printed and "INFO" not in printed, printed
