"""``labelloop config show|set``: the effective configuration, secrets masked, a 0600 file."""

from __future__ import annotations

import json
import stat

from labelloop.annotation.config import AnnotationConfig
from tests.cli.helpers import run_cli, run_process


def test_set_writes_a_private_file_that_show_and_the_library_read(tmp_path, monkeypatch):
    path = tmp_path / "conf" / "annotation_config.json"
    monkeypatch.setenv("LABELLOOP_ANNOTATION_CONFIG_PATH", str(path))
    assert run_cli("config", "set", "cvat.url", "https://cvat.example.com").exit_code == 0
    secret = run_cli("config", "set", "backends.cvat.password", "hunter2-secret")
    assert secret.exit_code == 0 and "***" in secret.output and "hunter2" not in secret.output
    assert run_cli("config", "set", "cvat.segment_size", "25").exit_code == 0
    assert run_cli("config", "set", "default_backend", "cvat").exit_code == 0

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    on_disk = json.loads(path.read_text())
    assert on_disk["backends"]["cvat"] == {
        "url": "https://cvat.example.com",
        "password": "hunter2-secret",
        "segment_size": 25,
    }
    assert AnnotationConfig().backends["cvat"]["segment_size"] == 25

    shown = run_cli("config", "show")
    assert shown.exit_code == 0
    data = json.loads(shown.output)
    assert data["config_file"] == str(path)
    assert data["backends"]["cvat"]["url"] == "https://cvat.example.com"
    assert data["backends"]["cvat"]["password"] == "***"
    assert "hunter2" not in shown.output

    with_env = run_cli("config", "show", env={"LABELLOOP_CVAT_URL": "http://env.example:8080"})
    assert json.loads(with_env.output)["backends"]["cvat"]["url"] == "http://env.example:8080"


def test_set_refuses_bad_keys_and_broken_files(tmp_path, monkeypatch):
    path = tmp_path / "annotation_config.json"
    monkeypatch.setenv("LABELLOOP_ANNOTATION_CONFIG_PATH", str(path))
    bad_key = run_cli("config", "set", "url", "x")
    assert bad_key.exit_code == 1 and "cvat.url" in bad_key.output
    assert not path.exists()
    path.write_text("{broken")
    broken = run_cli("config", "set", "cvat.url", "x")
    assert broken.exit_code == 1 and "not valid JSON" in broken.output
    assert path.read_text() == "{broken"


def test_set_checks_nested_keys_and_values_against_the_backend(tmp_path, monkeypatch):
    path = tmp_path / "annotation_config.json"
    monkeypatch.setenv("LABELLOOP_ANNOTATION_CONFIG_PATH", str(path))
    typo = run_cli("config", "set", "cvat.segmentsize", "5")
    assert typo.exit_code == 1, typo.output
    assert "segmentsize" in typo.output and "did you mean cvat.segment_size?" in typo.output
    bad_value = run_cli("config", "set", "cvat.segment_size", "0")
    assert bad_value.exit_code == 1 and "segment_size" in bad_value.output
    unknown = run_cli("config", "set", "labelbox.url", "http://x")
    assert unknown.exit_code == 1 and "config_cls" in unknown.output
    assert not path.exists()  # nothing written
    assert run_cli("config", "set", "cvat.task_size", "10").exit_code == 0


def test_a_bad_parameter_in_the_file_is_named_with_the_file(tmp_path, monkeypatch):
    from tests.cli.data import boxes_dataset

    path = tmp_path / "annotation_config.json"
    path.write_text(json.dumps({"backends": {"cvat": {"segmentsize": 5}}}))
    path.chmod(0o600)
    monkeypatch.setenv("LABELLOOP_ANNOTATION_CONFIG_PATH", str(path))
    boxes_dataset(tmp_path, "cfg-bad-param", count=1)
    result = run_process(  # a fresh process reads the file, as a user's next command does
        "annotate", "cfg-bad-param", "run", "--label-field", "gt", "--url", "http://127.0.0.1:9",
        "--username", "u", "--password", "p",
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "segmentsize" in result.stderr and str(path) in result.stderr
