"""Fixtures for the local CVAT server's tests: the server itself and real media files."""

from __future__ import annotations

from pathlib import Path

import pytest

from labelloop.testing.fixtures import cvat_server, cvat_server_fresh  # noqa: F401
from tests.cvat_server.helpers import write_images, write_video


@pytest.fixture(scope="session")
def image_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Five JPEGs of different sizes."""
    return write_images(tmp_path_factory.mktemp("images"), 5)


@pytest.fixture(scope="session")
def video_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 40-frame 64x48 MP4."""
    return write_video(tmp_path_factory.mktemp("video") / "clip.mp4", 40, 64, 48)
