"""Annotation config, credentials, backend registry and base-class serialisation."""

from __future__ import annotations

import io
import json

import pytest

from labelloop.annotation import config as anno_config
from labelloop.annotation.base import AnnotationBackendConfig, AnnotationResults
from labelloop.annotation.config import AnnotationConfig, annotation_config, resolve_credentials
from labelloop.annotation.registry import build_config
from tests.annotation.conftest import SECRET_TOKEN
from tests.annotation.memory_backend import CONFIG_CLS, MemoryBackendConfig, MemoryResults


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in ("LABELLOOP", "FIFTYONE"):
        for var in (f"{name}_CVAT_URL", f"{name}_ANNOTATION_DEFAULT_BACKEND"):
            monkeypatch.delenv(var, raising=False)
    path = tmp_path / "annotation_config.json"
    monkeypatch.setenv("LABELLOOP_ANNOTATION_CONFIG_PATH", str(path))
    return path


def test_defaults_without_a_file(clean_env):
    config = AnnotationConfig()
    assert config.path == clean_env
    assert config.default_backend == "cvat"
    assert config.backends["cvat"]["url"] == "https://app.cvat.ai"
    assert config.backends["cvat"]["config_cls"] == "labelloop.cvat.backend.CVATBackendConfig"


def test_file_then_env_then_reference_names(clean_env, monkeypatch):
    clean_env.write_text(
        json.dumps(
            {
                "default_backend": "mine",
                "backends": {
                    "cvat": {"url": "http://file:8080", "username": "u"},
                    "mine": {"config_cls": "a.B"},
                },
            }
        )
    )
    config = AnnotationConfig()
    assert config.backends["cvat"]["url"] == "http://file:8080"
    assert config.default_backend == "mine" and config.backends["mine"] == {"config_cls": "a.B"}
    monkeypatch.setenv("FIFTYONE_CVAT_URL", "http://fiftyone:1")
    monkeypatch.setenv("FIFTYONE_CVAT_TASK_SIZE", "100")
    monkeypatch.setenv("FIFTYONE_CVAT_PASSWORD", "123")
    config.reload()
    assert config.backends["cvat"]["url"] == "http://fiftyone:1"
    assert config.backends["cvat"]["task_size"] == 100  # decoded
    assert config.backends["cvat"]["password"] == "123"  # credentials stay verbatim
    monkeypatch.setenv("LABELLOOP_CVAT_URL", "http://ours:2")
    monkeypatch.setenv("LABELLOOP_ANNOTATION_DEFAULT_BACKEND", "cvat")
    config.reload()
    assert config.backends["cvat"]["url"] == "http://ours:2"  # ours win over the reference's
    assert config.default_backend == "cvat"
    assert "123" not in repr(config) and "***" in repr(config)


def test_home_directory_default_path(monkeypatch, tmp_path):
    monkeypatch.delenv("LABELLOOP_ANNOTATION_CONFIG_PATH", raising=False)
    monkeypatch.delenv("FIFTYONE_ANNOTATION_CONFIG_PATH", raising=False)
    monkeypatch.setenv("LABELLOOP_HOME", str(tmp_path))
    assert anno_config.config_path() == tmp_path / "annotation_config.json"


@pytest.mark.parametrize(
    "content, words",
    [
        ("{not json", ["not valid JSON"]),
        ("[1]", ["JSON object"]),
        ('{"backends": 3}', ["backends"]),
    ],
)
def test_broken_config_files_are_named(clean_env, content, words):
    clean_env.write_text(content)
    with pytest.raises(ValueError) as info:
        AnnotationConfig()
    assert str(clean_env) in str(info.value)
    for word in words:
        assert word in str(info.value)


def test_registry_builds_configs_from_configuration_alone():
    config = build_config("memory", {"f": {"type": "scalar"}}, url="memory://x")
    assert isinstance(config, MemoryBackendConfig)
    assert config.url == "memory://x"  # kwargs win over the entry
    assert config.credentials["token"] == SECRET_TOKEN
    annotation_config.default_backend = "memory"
    try:
        assert build_config(None, None).name == "memory"
    finally:
        annotation_config.default_backend = "cvat"
    assert build_config(MemoryBackendConfig, None).name == "MemoryBackendConfig"


@pytest.mark.parametrize(
    "backend, entry, kwargs, words",
    [
        ("nope", None, {}, ["nope", "memory", "config_cls"]),
        ("bare", {}, {}, ["bare", "config_cls"]),
        ("broken", {"config_cls": "no_such_module.Config"}, {}, ["no_such_module"]),
        ("attr", {"config_cls": "tests.annotation.memory_backend.Nope"}, {}, ["Nope"]),
        ("notdotted", {"config_cls": "Config"}, {}, ["dotted"]),
        ("wrong", {"config_cls": "json.JSONDecoder"}, {}, ["AnnotationBackendConfig"]),
        ("memory", None, {"task_sise": 3}, ["task_sise"]),
        (42, None, {}, ["backend must be"]),
    ],
)
def test_registry_errors_name_the_problem(backend, entry, kwargs, words):
    if entry is not None:
        annotation_config.backends[backend] = entry
    with pytest.raises(ValueError) as info:
        build_config(backend, None, **kwargs)
    for word in words:
        assert word in str(info.value)


def test_credentials_precedence_and_prompting(monkeypatch):
    monkeypatch.setenv("LABELLOOP_MEMORY_PASSWORD", "from-env")
    names = ("token", "password", "username")
    got = resolve_credentials("memory", names, {"token": "kw"}, {"token": "stored"})
    assert got == {"token": "kw", "password": "from-env", "username": None}
    got = resolve_credentials("memory", names, {}, {"token": "stored"})
    assert got["token"] == "stored"
    got = resolve_credentials("memory", names, {}, None)
    assert got["token"] == SECRET_TOKEN  # from the config entry
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(ValueError) as info:
        resolve_credentials("memory", names, {}, None, required=("username",))
    assert "LABELLOOP_MEMORY_USERNAME" in str(info.value)

    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr("sys.stdin", Tty(""))
    monkeypatch.setattr("builtins.input", lambda prompt: "alice")
    monkeypatch.setattr("getpass.getpass", lambda prompt: "pw")
    got = resolve_credentials("memory", names, {}, None, required=("username",))
    assert got["username"] == "alice"
    monkeypatch.delenv("LABELLOOP_MEMORY_PASSWORD")
    got = resolve_credentials("memory", names, {}, None, required=("password",))
    assert got["password"] == "pw"


def test_config_serialisation_never_holds_secrets():
    config = build_config(
        "memory",
        {"seg": {"type": "segmentation", "mask_targets": {1: "cat"}}},
        username="bob",
        password="hunter2",
        headers={"Authorization": "Bearer zzz"},
        url="https://bob:hunter2@cvat.example.com:8443/",
    )
    data = config.serialize()
    text = json.dumps(data) + repr(config)
    for secret in ("bob", "hunter2", "zzz", SECRET_TOKEN):
        assert secret not in text
    assert data["url"] == "https://cvat.example.com:8443/"
    assert data["cls"] == CONFIG_CLS and data["method"] == "memory"
    assert data["label_schema"]["seg"]["mask_targets"] == {"1": "cat"}
    back = AnnotationBackendConfig.from_dict(json.loads(json.dumps(data)))
    assert isinstance(back, MemoryBackendConfig)
    assert back.label_schema["seg"]["mask_targets"] == {1: "cat"}
    assert back.credentials == {}
    back.load_credentials(url="memory://other")
    assert back.url == "memory://other" and back.credentials["token"] == SECRET_TOKEN
    with pytest.raises(ValueError, match=r"Unknown credential\(s\) \['tokn'\]"):
        back.load_credentials(tokn="x")


def test_results_round_trip_with_frame_numbers():
    config = build_config("memory", {"frames.d": {"type": "detections"}})
    id_map = {"frames.d": {"s1": {1: ["a"], 12: []}}, "g": {"s1": "x"}}
    results = MemoryResults(None, config, "key", id_map)
    data = json.loads(json.dumps(results.to_dict()))
    assert data["id_map"]["frames.d"]["s1"] == {"1": ["a"], "12": []}
    back = AnnotationResults.from_dict(data, None, config, "key")
    assert isinstance(back, MemoryResults)
    assert back.id_map == id_map and back.anno_key == "key" and back.config is config
    with back:
        assert back.backend.config is config
    with pytest.raises(ValueError, match="no editor"):
        back.launch_editor()


def test_backend_registered_by_environment_alone(monkeypatch):
    monkeypatch.setenv("LABELLOOP_ENVONLY_CONFIG_CLS", CONFIG_CLS)
    monkeypatch.setenv("LABELLOOP_ENVONLY_TOKEN", "env-token")
    monkeypatch.setenv("LABELLOOP_ENVONLY_FAIL_UPLOAD", "true")
    config = build_config("envonly", None)
    assert isinstance(config, MemoryBackendConfig) and config.fail_upload is True
    assert config.credentials["token"] == "env-token"
    assert "env-token" not in json.dumps(config.serialize())


def test_unrelated_variables_sharing_the_prefix_are_not_parameters(monkeypatch):
    monkeypatch.setenv("LABELLOOP_MEMORY_SERVER_PASSWORD", "for-the-local-server")
    config = build_config("memory", None)
    assert "server_password" not in config.serialize() and config.fail_upload is False
    with pytest.raises(ValueError, match="server_password"):
        build_config("memory", None, server_password="x")  # an explicit typo still fails
    monkeypatch.setenv("LABELLOOP_CVAT_SERVER_PASSWORD", "local-cvat-pw")
    shown = AnnotationConfig()
    assert shown.backends["cvat"]["server_password"] == "local-cvat-pw"
    assert "local-cvat-pw" not in repr(shown)  # credential-like names are masked
