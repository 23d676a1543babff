"""``labelloop config show|set``: the effective configuration, secrets masked, a 0600 file."""

from __future__ import annotations

import json
import stat

from labelloop.annotation.config import AnnotationConfig
from tests.cli.helpers import run_cli


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
