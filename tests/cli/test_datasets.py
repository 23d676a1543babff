"""``labelloop datasets`` and ``labelloop zoo`` through click's CliRunner, on the real store."""

from __future__ import annotations

import json

import labelloop as ll
from tests.cli.helpers import run_cli, run_process


def test_zoo_load_then_list_info_export_create_delete(tmp_path):
    listed = run_cli("zoo", "list")
    assert listed.exit_code == 0 and "quickstart" in listed.output

    loaded = run_cli("zoo", "load", "quickstart", "--max-samples", "4", "--dataset-name", "cli-qs")
    assert loaded.exit_code == 0, loaded.output
    assert ll.load_dataset("cli-qs").persistent and len(ll.load_dataset("cli-qs")) == 4

    table = run_cli("datasets", "list")
    assert table.exit_code == 0
    row = next(line for line in table.output.splitlines() if "cli-qs" in line)
    assert " 4 " in row

    info = json.loads(run_cli("datasets", "info", "cli-qs", "--json").output)
    assert info["samples"] == 4 and info["fields"]["ground_truth"] == "Detections"
    assert run_cli("datasets", "info", "cli-qs").exit_code == 0

    out_dir = tmp_path / "export"
    exported = run_cli(
        "datasets", "export", "cli-qs", "--export-dir", str(out_dir), "--type", "ImageDirectory"
    )
    assert exported.exit_code == 0, exported.output
    assert len(list(out_dir.iterdir())) == 4

    created = run_cli(
        "datasets", "create", "cli-from-dir", "--from-dir", str(out_dir), "--type", "ImageDirectory"
    )
    assert created.exit_code == 0, created.output
    assert len(ll.load_dataset("cli-from-dir")) == 4

    again = run_cli(
        "datasets", "create", "cli-from-dir", "--from-dir", str(out_dir), "--type", "ImageDirectory"
    )
    assert again.exit_code == 1 and "exists" in again.output

    refused = run_cli("datasets", "delete", "cli-from-dir", input="n\n")
    assert refused.exit_code != 0 and ll.dataset_exists("cli-from-dir")
    deleted = run_cli("datasets", "delete", "cli-from-dir", "cli-qs", "--yes")
    assert deleted.exit_code == 0
    assert not ll.dataset_exists("cli-from-dir") and not ll.dataset_exists("cli-qs")


def test_user_errors_exit_1_with_one_line_and_no_traceback(tmp_path):
    missing = run_cli("datasets", "info", "no-such-dataset")
    assert missing.exit_code == 1
    assert (
        missing.output.strip().splitlines() == [missing.output.strip().splitlines()[0]]
        and "no dataset named 'no-such-dataset'" in missing.output
    )

    bad_type = run_cli(
        "datasets", "create", "x", "--from-dir", str(tmp_path), "--type", "NoSuchType"
    )
    assert bad_type.exit_code == 1
    assert "ImageDirectory" in bad_type.output and "Traceback" not in bad_type.output
    assert not ll.dataset_exists("x")

    usage = run_cli("datasets", "create", "x")
    assert usage.exit_code == 1 and "--from-dir" in usage.output


def test_debug_shows_the_traceback():
    debug = run_process("--debug", "zoo", "load", "no-such-zoo-dataset")
    assert debug.returncode == 1
    assert "Traceback" in debug.stderr and "ValueError: Unknown zoo dataset" in debug.stderr
    plain = run_process("zoo", "load", "no-such-zoo-dataset")
    assert plain.returncode == 1 and "Traceback" not in plain.stderr
    assert plain.stderr.startswith("Error: Unknown zoo dataset 'no-such-zoo-dataset'")


def test_every_command_has_help():
    from labelloop.cli.main import cli

    def walk(group, path):
        for name, command in group.commands.items():
            yield [*path, name]
            if hasattr(command, "commands"):
                yield from walk(command, [*path, name])

    for path in walk(cli, []):
        result = run_cli(*path, "--help")
        assert result.exit_code == 0, path
        assert "Usage:" in result.output
