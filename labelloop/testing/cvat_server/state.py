"""One server instance's configuration and its running state (database, faults, uploads)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labelloop.testing.cvat_server.defaults import DEFAULT_VERSION
from labelloop.testing.cvat_server.faults import Faults
from labelloop.testing.cvat_server.store import Store


@dataclass
class ServerConfig:
    """Settings of one server instance (see ``labelloop cvat-server --help``)."""

    data_dir: Path
    username: str = "admin"
    password: str = field(default="admin", repr=False)
    version: str = DEFAULT_VERSION
    max_body_size: int | None = None


@dataclass
class ServerState:
    config: ServerConfig
    store: Store
    faults: Faults
    admin_id: int
    uploads: dict[int, list[str]] = field(default_factory=dict)
    tus: dict[str, dict[str, Any]] = field(default_factory=dict)
    tus_done: dict[int, list[str]] = field(default_factory=dict)

    def task_dir(self, task_id: int) -> Path:
        return self.config.data_dir / "tasks" / str(task_id)
