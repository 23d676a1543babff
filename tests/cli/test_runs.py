"""``labelloop annotate`` and ``labelloop runs ...`` against the local CVAT server, with the
test annotator playing the person."""

from __future__ import annotations

import json

import labelloop as ll
from labelloop.testing.annotator import Annotator
from tests.cli.data import boxes_dataset
from tests.cli.helpers import run_cli


def _creds(server) -> list[str]:
    return ["--url", server.url, "--username", server.username, "--password", server.password]


def _labels(name: str) -> dict[str, list]:
    dataset = ll.load_dataset(name)
    return {
        s.id: sorted((d.label, tuple(round(v, 3) for v in d.bounding_box)) for d in s.gt.detections)
        for s in dataset.iter_samples()
    }


def test_annotate_status_dry_run_wait_load_rename_cleanup_delete(cvat_server, tmp_path):
    server = cvat_server
    boxes_dataset(tmp_path, "cli-runs", count=2)
    created = run_cli(
        "annotate", "cli-runs", "fix", "--label-field", "gt", "--attributes", "[]",
        "--match-tags", "even", "--task-name", "cli-runs-task", *_creds(server),
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    assert "Annotation run 'fix' created on 'cli-runs' (1 samples)" in created.output

    results = ll.load_dataset("cli-runs").load_annotation_results("fix", **{
        "username": server.username, "password": server.password})  # fmt: skip
    (task_id,) = results.task_ids
    (job_id,) = results.job_ids[task_id]
    status = run_cli("runs", "status", "cli-runs", "fix", *_creds(server))
    assert status.exit_code == 0, status.output
    assert f"/tasks/{task_id}/jobs/{job_id}" in status.output and "annotation" in status.output

    before = _labels("cli-runs")
    with Annotator(server.url, server.username, server.password) as person:
        shapes = sorted(person.annotations(job_id)["shapes"], key=lambda s: s["id"])
        person.move_shape(job_id, shapes[0]["id"], 6, 0)
        person.delete_shapes(job_id, [shapes[1]["id"]])

    dry = run_cli("runs", "load", "cli-runs", "fix", "--dry-run", *_creds(server))
    assert dry.exit_code == 0, dry.output
    assert "Dry run: nothing written" in dry.output
    row = next(line for line in dry.output.splitlines() if line.strip("│┃ ").startswith("gt"))
    assert [c.strip() for c in row.strip("│┃ ").split("│")][1:4] == ["0", "1", "1"]
    assert _labels("cli-runs") == before  # nothing written
    # the itemised review: which label is deleted, which moved and from where to where
    deleted = next(line for line in dry.output.splitlines() if line.strip().startswith("deleted"))
    edited = next(line for line in dry.output.splitlines() if line.strip().startswith("edited"))
    assert "gt sample" in deleted and "label" in deleted
    assert "bounding_box: [" in edited and "->" in edited
    as_json = run_cli("runs", "load", "cli-runs", "fix", "--dry-run", "--json", *_creds(server))
    assert as_json.exit_code == 0, as_json.output
    review = json.loads(as_json.output)
    assert review["dry_run"] is True
    assert sorted(item["kind"] for item in review["items"]["gt"]) == ["deleted", "edited"]
    assert _labels("cli-runs") == before

    with Annotator(server.url, server.username, server.password) as person:
        person.complete(job_id)
    waited = run_cli(
        "runs", "wait", "cli-runs", "fix", "--interval", "0.1", "--timeout", "60", *_creds(server)
    )
    assert waited.exit_code == 0, waited.output
    assert "Every job is completed." in waited.output and "Loaded 'fix'" in waited.output
    after = _labels("cli-runs")
    edited = [sid for sid in after if after[sid] != before[sid]]
    assert len(edited) == 1 and len(after[edited[0]]) == 1  # one box deleted, one moved
    assert after[edited[0]][0][1][0] == round(0.1 + 6 / 64, 3)

    assert run_cli("runs", "rename", "cli-runs", "fix", "fixed").exit_code == 0
    listed = run_cli("runs", "list", "cli-runs")
    assert "fixed" in listed.output and "fix " not in listed.output
    info = run_cli("runs", "info", "cli-runs", "fixed")
    assert json.loads(info.output)["key"] == "fixed"
    assert server.password not in info.output

    cleaned = run_cli("runs", "cleanup", "cli-runs", "fixed", *_creds(server))
    assert cleaned.exit_code == 0, cleaned.output
    with server.client() as client:
        assert client.get(f"/api/tasks/{task_id}").status_code == 404
    gone = run_cli("runs", "status", "cli-runs", "fixed", *_creds(server))
    assert "no tasks left" in gone.output

    assert run_cli("runs", "delete", "cli-runs", "fixed").exit_code == 0
    assert not ll.load_dataset("cli-runs").has_annotation_run("fixed")
    missing = run_cli("runs", "info", "cli-runs", "fixed")
    assert missing.exit_code == 1 and "has no annotation run 'fixed'" in missing.output


def test_annotate_needs_a_field_and_a_reachable_server(tmp_path):
    boxes_dataset(tmp_path, "cli-errors", count=1)
    no_field = run_cli("annotate", "cli-errors", "k")
    assert no_field.exit_code == 1 and "--label-field" in no_field.output

    unreachable = run_cli(
        "annotate", "cli-errors", "k", "--label-field", "gt",
        "--url", "http://127.0.0.1:9", "--username", "u", "--password", "secret-pw",
    )  # fmt: skip
    assert unreachable.exit_code == 2, unreachable.output
    assert "check" in unreachable.output and "secret-pw" not in unreachable.output
    assert not ll.load_dataset("cli-errors").has_annotation_run("k")


def test_annotate_with_a_schema_file_and_take(cvat_server, tmp_path):
    boxes_dataset(tmp_path, "cli-schema", count=3)
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps({"gt": {"type": "detections", "classes": ["cat", "dog", "bird"]}}))
    made = run_cli(
        "annotate", "cli-schema", "with_schema", "--schema", str(schema), "--take", "2",
        "--seed", "1", *_creds(cvat_server),
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    dataset = ll.load_dataset("cli-schema")
    results = dataset.load_annotation_results(
        "with_schema", username=cvat_server.username, password=cvat_server.password
    )
    with cvat_server.client() as client:
        labels = client.get("/api/labels", params={"task_id": results.task_ids[0]}).json()
    assert sorted(label["name"] for label in labels["results"]) == ["bird", "cat", "dog"]
    assert len(results.frame_id_map[results.task_ids[0]]) == 2
    assert run_cli("runs", "delete", "cli-schema", "with_schema", "--cleanup",
                   *_creds(cvat_server)).exit_code == 0  # fmt: skip

    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2")
    refused = run_cli("annotate", "cli-schema", "k2", "--schema", str(bad))
    assert refused.exit_code == 1 and "not valid JSON" in refused.output


def test_annotate_derived_view_options(cvat_server, tmp_path):
    dataset = boxes_dataset(tmp_path, "cli-derived", count=2)
    made = run_cli(
        "annotate", "cli-derived", "cats", "--label-field", "gt", "--patches", "gt",
        "--map-labels", "cat=feline", "--classes", "feline,dog", *_creds(cvat_server),
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    assert "(4 samples)" in made.output  # one per object
    info = dataset.get_annotation_info("cats")
    assert [s["_cls"] for s in info.view_stages] == ["MapLabels", "SelectLabels"]
    loaded = run_cli("runs", "load", "cli-derived", "cats", "--cleanup", *_creds(cvat_server))
    assert loaded.exit_code == 0, loaded.output
    assert dataset.count_values("gt.detections.label") == {"feline": 2, "dog": 2}
    bad = run_cli("annotate", "cli-derived", "k", "--label-field", "gt", "--patches", "gt",
                  "--clips", "gt", *_creds(cvat_server))  # fmt: skip
    assert bad.exit_code == 1 and "choose one of" in bad.output
    dataset.delete()
