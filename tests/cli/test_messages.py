"""What the command line says when something is wrong: one hint, the flags a user types,
the fix for the mistake made, and exit codes that say whose fault it was."""

from __future__ import annotations

import json

import labelloop as ll
from tests.cli.data import boxes_dataset
from tests.cli.helpers import run_cli, run_process


def _creds(server) -> list[str]:
    return ["--url", server.url, "--username", server.username, "--password", server.password]


def test_wrong_password_gives_one_hint(cvat_server, tmp_path):
    boxes_dataset(tmp_path, "msg-password", count=1)
    result = run_cli(
        "annotate", "msg-password", "run", "--label-field", "gt", "--url", cvat_server.url,
        "--username", cvat_server.username, "--password", "wrong",
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert result.output.lower().count("check") == 1, result.output


def test_unreachable_server_gives_one_hint(tmp_path):
    boxes_dataset(tmp_path, "msg-unreachable", count=1)
    result = run_cli(
        "annotate", "msg-unreachable", "run", "--label-field", "gt",
        "--url", "http://127.0.0.1:9", "--username", "u", "--password", "p",
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert result.output.lower().count("check") == 1, result.output


def test_https_to_a_plain_http_server_says_use_http(cvat_server, tmp_path):
    boxes_dataset(tmp_path, "msg-https", count=1)
    plain = cvat_server.url  # http://127.0.0.1:<port>
    https = "https://" + plain[len("http://") :]
    result = run_cli(
        "annotate", "msg-https", "run", "--label-field", "gt", "--url", https,
        "--username", cvat_server.username, "--password", cvat_server.password,
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert f"use {plain} instead" in result.output, result.output


def test_library_errors_name_cli_flags_not_keyword_arguments(tmp_path):
    boxes_dataset(tmp_path, "msg-flags", count=1)
    result = run_cli("annotate", "msg-flags", "run", "--label-field", "newf", "--url", "http://x")
    assert result.exit_code == 1, result.output
    assert "--label-type" in result.output and "label_type" not in result.output
    assert "label_schema[" not in result.output
    typed = run_cli(
        "annotate", "msg-flags", "run", "--label-field", "newf", "--label-type", "detections",
        "--url", "http://x",
    )  # fmt: skip
    assert typed.exit_code == 1 and "--classes" in typed.output and "classes=" not in typed.output


def test_missing_credentials_without_terminal_name_the_flags(tmp_path):
    boxes_dataset(tmp_path, "msg-creds", count=1)
    result = run_process(
        "annotate", "msg-creds", "run", "--label-field", "gt", "--url", "http://127.0.0.1:9"
    )
    assert result.returncode == 1, result.stderr
    assert "--username" in result.stderr and "--password" in result.stderr
    assert "keyword" not in result.stderr and "Traceback" not in result.stderr


def test_delete_prompt_without_terminal_says_pass_yes(tmp_path):
    boxes_dataset(tmp_path, "msg-delete", count=1)
    result = run_process("datasets", "delete", "msg-delete")  # stdin is not a terminal
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert "--yes" in result.stderr and ll.dataset_exists("msg-delete")
    piped = run_cli("datasets", "delete", "msg-delete", input="y\n")  # answers still work
    assert piped.exit_code == 0 and not ll.dataset_exists("msg-delete")


def test_cvat_import_into_missing_dataset_suggests_create(cvat_server):
    result = run_cli("cvat", "import", "msg-nowhere", "--task-ids", "1", *_creds(cvat_server))
    assert result.exit_code == 1, result.output
    assert "--create" in result.output and not ll.dataset_exists("msg-nowhere")


def test_runs_wait_timeout_exits_1_and_runs_info_shows_view_stages(cvat_server, tmp_path):
    boxes_dataset(tmp_path, "msg-wait", count=2)
    created = run_cli(
        "annotate", "msg-wait", "run", "--label-field", "gt", "--match-tags", "even",
        *_creds(cvat_server),
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    waited = run_cli(
        "runs", "wait", "msg-wait", "run", "--interval", "0.1", "--timeout", "0.2",
        "--no-load", *_creds(cvat_server),
    )  # fmt: skip
    assert waited.exit_code == 1, waited.output
    assert "still not completed" in waited.output
    info = run_cli("runs", "info", "msg-wait", "run")
    assert info.exit_code == 0, info.output
    record = json.loads(info.output)
    assert "MatchTags" in json.dumps(record["view_stages"]) and "even" in json.dumps(
        record["view_stages"]
    )
    assert cvat_server.password not in info.output
    ll.load_dataset("msg-wait").load_annotation_results(
        "run", username=cvat_server.username, password=cvat_server.password
    ).cleanup()
