"""Register the in-memory backend by configuration and reset it around each test."""

from __future__ import annotations

import pytest

from labelloop.annotation.config import annotation_config
from tests.annotation import memory_backend

SECRET_TOKEN = "tok-s3cret-value"


@pytest.fixture(autouse=True)
def memory_backend_registered():
    """``backend="memory"`` works in every test; its server starts empty."""
    saved = {k: dict(v) for k, v in annotation_config.backends.items()}
    annotation_config.backends["memory"] = {
        "config_cls": memory_backend.CONFIG_CLS,
        "token": SECRET_TOKEN,
    }
    memory_backend.SERVER.clear()
    yield memory_backend.SERVER
    memory_backend.SERVER.clear()
    annotation_config.backends.clear()
    annotation_config.backends.update(saved)


@pytest.fixture
def backend():
    """A memory backend instance for schema tests."""
    config = memory_backend.MemoryBackendConfig("memory", None)
    return memory_backend.MemoryBackend(config)
