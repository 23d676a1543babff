"""The database can be chosen in the labelloop config file, the environment winning."""

import json
import logging
import os

import pytest

from labelloop.store import config


@pytest.fixture
def config_file(tmp_path, monkeypatch):
    path = tmp_path / "config.json"
    monkeypatch.setenv("LABELLOOP_CONFIG_PATH", str(path))
    monkeypatch.delenv("LABELLOOP_DATABASE_URI", raising=False)
    return path


def test_config_file_selects_the_database(config_file, tmp_path):
    db = tmp_path / "team.sqlite"
    config_file.write_text(json.dumps({"database_uri": f"sqlite:///{db}"}))
    assert config.database_uri() == f"sqlite:///{db}"


def test_environment_wins_over_the_config_file(config_file, tmp_path, monkeypatch):
    config_file.write_text(json.dumps({"database_uri": f"sqlite:///{tmp_path / 'a.sqlite'}"}))
    monkeypatch.setenv("LABELLOOP_DATABASE_URI", f"sqlite:///{tmp_path / 'b.sqlite'}")
    assert config.database_uri().endswith("b.sqlite")


def test_without_a_setting_the_default_sqlite_file_is_used(config_file):
    config_file.write_text(json.dumps({"other": 1}))
    assert config.database_uri() == "sqlite:///" + os.path.join(
        config.database_dir(), "labelloop.sqlite"
    )


def test_bad_config_files_get_a_clear_error(config_file):
    config_file.write_text("{not json")
    with pytest.raises(ValueError, match="config file"):
        config.database_uri()
    config_file.write_text(json.dumps({"database_uri": 5}))
    with pytest.raises(ValueError, match="database_uri"):
        config.database_uri()


def test_readable_credentials_are_warned_about_without_showing_them(config_file, caplog):
    config_file.write_text(json.dumps({"database_uri": "postgresql://u:s3cret-pw@127.0.0.1:1/db"}))
    os.chmod(config_file, 0o644)
    with caplog.at_level(logging.WARNING, logger="labelloop.store.config"):
        assert config.database_uri().startswith("postgresql://")
    assert "chmod 600" in caplog.text
    assert "s3cret-pw" not in caplog.text
    caplog.clear()
    os.chmod(config_file, 0o600)
    with caplog.at_level(logging.WARNING, logger="labelloop.store.config"):
        config.database_uri()
    assert "chmod 600" not in caplog.text
