"""Fixtures of the documentation tests: the local CVAT server and the environment a reader has."""

from __future__ import annotations

import webbrowser
from collections.abc import Iterator

import pytest

from labelloop.annotation.config import annotation_config
from labelloop.testing.fixtures import cvat_server, cvat_server_fresh  # noqa: F401


@pytest.fixture
def reader_env(cvat_server, tmp_path) -> Iterator[dict[str, str]]:  # noqa: F811
    """``LABELLOOP_CVAT_*`` pointing at the local server, as the guide tells readers to set
    them; the browser is not opened. Everything is restored afterwards."""
    env = {
        "LABELLOOP_CVAT_URL": cvat_server.url,
        "LABELLOOP_CVAT_USERNAME": cvat_server.username,
        "LABELLOOP_CVAT_PASSWORD": cvat_server.password,
        "BROWSER": "true",  # a subprocess's webbrowser runs `true URL`
        # `labelloop config set` in the guide writes here, not to the session's file
        "LABELLOOP_ANNOTATION_CONFIG_PATH": str(tmp_path / "annotation_config.json"),
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        patch.setattr(webbrowser, "open", lambda *args, **kwargs: True)
        annotation_config.reload()
        yield env
    annotation_config.reload()
