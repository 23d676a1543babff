"""The zoo directory and crash-safe writes of generated media into it.

Generated files are written to a temporary name and renamed into place, and a
small ``info.json`` is written last, so an interrupted or concurrent build
never leaves a half-written file that a later load would trust.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any


def labelloop_home() -> Path:
    """``LABELLOOP_HOME`` or ``~/.labelloop``."""
    return Path(os.environ.get("LABELLOOP_HOME") or Path.home() / ".labelloop")


def zoo_dir() -> Path:
    """Where zoo datasets keep their media: ``LABELLOOP_ZOO_DIR`` or ``<home>/zoo``."""
    return Path(os.environ.get("LABELLOOP_ZOO_DIR") or labelloop_home() / "zoo")


def atomic_write(path: Path, write: Callable[[IO[bytes]], Any]) -> None:
    """Create ``path`` by calling ``write(file)`` on a temporary file, then renaming it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_info(root: Path) -> dict[str, Any]:
    """The ``info.json`` of a generated dataset, or ``{}`` when missing or unreadable."""
    try:
        return json.loads((root / "info.json").read_text())
    except (OSError, ValueError):
        return {}


def write_info(root: Path, info: dict[str, Any]) -> None:
    """Write ``info.json`` (last step of a build: marks the media complete)."""
    atomic_write(root / "info.json", lambda f: f.write(json.dumps(info).encode()))
