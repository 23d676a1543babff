"""Running the server: in this process (``serve``) or as a child process (``LocalCVATServer``)."""

from __future__ import annotations

import atexit
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from labelloop.testing.cvat_server.app import create_app
from labelloop.testing.cvat_server.auth import login_token
from labelloop.testing.cvat_server.defaults import DEFAULT_VERSION, PASSWORD_ENV, READY_FILE
from labelloop.testing.cvat_server.state import ServerConfig

PARENT_ENV = "LABELLOOP_CVAT_SERVER_PARENT_PID"

logger = logging.getLogger(__name__)


def serve(
    config: ServerConfig,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    log_level: str = "warning",
) -> None:
    """Serve until interrupted; ``port=0`` picks a free port.

    Once listening, writes ``server.json`` (url, pid and the administrator's
    token, readable only by the owner) into the data directory so a parent
    process knows where and how to connect.
    """
    import uvicorn

    ready = config.data_dir / READY_FILE
    app = create_app(config, on_shutdown=lambda: ready.unlink(missing_ok=True))
    # proto=IPPROTO_TCP matters: asyncio turns Nagle off only on sockets that say TCP,
    # and with Nagle on every response waits ~40 ms for a delayed ACK
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    bound_port = sock.getsockname()[1]
    display_host = f"[{host}]" if ":" in host else host
    url = f"http://{display_host}:{bound_port}"
    state = app.app.app.state.server  # _StripSlash -> FaultMiddleware -> Starlette
    token = login_token(state.store, state.admin_id)
    tmp = ready.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump({"url": url, "pid": os.getpid(), "admin_token": token}, out)
    os.replace(tmp, ready)
    logger.info(
        "CVAT-compatible server %s listening on %s (data in %s)",
        config.version,
        url,
        config.data_dir,
    )
    server = uvicorn.Server(
        uvicorn.Config(app, log_level=log_level, access_log=False, timeout_keep_alive=30)
    )
    parent = os.environ.get(PARENT_ENV)
    if parent:
        _exit_with_parent(server, int(parent))
    server.run(sockets=[sock])


def _exit_with_parent(server: Any, parent_pid: int) -> None:
    """Stop when the launching process is gone (a killed test run leaves no server behind)."""

    def watch() -> None:
        while not server.should_exit:
            if os.getppid() != parent_pid:
                logger.info("parent process %s is gone; stopping", parent_pid)
                server.should_exit = True
                return
            time.sleep(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


# The child process loads labelloop.testing without running labelloop/__init__.py:
# the server needs nothing of the library, and skipping it makes startup fast.
_BOOTSTRAP = """
import sys, types
package = types.ModuleType("labelloop")
package.__path__ = [sys.argv.pop(1)]
sys.modules["labelloop"] = package
from labelloop.testing.cvat_server.command import cvat_server
cvat_server(prog_name="cvat-server")
"""


class LocalCVATServer:
    """A CVAT-compatible server in a child process on a free loopback port.

    ``with LocalCVATServer(tmp_dir) as server:`` starts it, waits until it
    answers, and stops it on exit. ``url``, ``username``, ``password`` and
    ``admin_token`` say how to connect; the helpers below drive the
    admin-only ``/_test`` control endpoints (users, faults, reset).
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        username: str = "admin",
        password: str = "admin",
        version: str = DEFAULT_VERSION,
        max_body_size: int | None = None,
        startup_timeout: float = 30.0,
    ) -> None:
        if not username:
            raise ValueError("username must be a non-empty string")
        if max_body_size is not None and max_body_size < 0:
            raise ValueError("max_body_size must be None or a non-negative number of bytes")
        self.data_dir = Path(data_dir)
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.version = version
        self.max_body_size = max_body_size
        self.startup_timeout = startup_timeout
        self.url = ""
        self.admin_token = ""
        self._process: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    def __repr__(self) -> str:
        return f"LocalCVATServer(url={self.url!r}, data_dir={str(self.data_dir)!r})"

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> LocalCVATServer:
        if self._process is not None:
            raise RuntimeError("the server is already running; call stop() first")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        ready = self.data_dir / READY_FILE
        ready.unlink(missing_ok=True)
        command = [
            sys.executable,
            "-c",
            _BOOTSTRAP,
            str(Path(__file__).resolve().parents[2]),
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            "--username",
            self.username,
            "--version",
            self.version,
        ]
        if self.max_body_size is not None:
            command += ["--max-body-size", str(self.max_body_size)]
        env = {**os.environ, PASSWORD_ENV: self.password, PARENT_ENV: str(os.getpid())}
        self._log = open(self.data_dir / "server.log", "ab")
        self._process = subprocess.Popen(command, env=env, stdout=self._log, stderr=self._log)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._close_log()
                log = (self.data_dir / "server.log").read_text(errors="replace")[-2000:]
                self._process = None
                raise RuntimeError(f"the CVAT-compatible server exited during startup:\n{log}")
            if ready.exists():
                info = json.loads(ready.read_text())
                if info["pid"] == self._process.pid:
                    self.url = info["url"]
                    self.admin_token = info["admin_token"]
                    if self._answers():
                        atexit.register(self.stop)
                        return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(
            f"the CVAT-compatible server did not start within {self.startup_timeout} s"
        )

    def _answers(self) -> bool:
        try:
            return httpx.get(self.url + "/api/server/about", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        """Terminate the child process (state stays on disk for a restart)."""
        atexit.unregister(self.stop)
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> LocalCVATServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ helpers
    @property
    def pid(self) -> int | None:
        """The server process's id while it runs (benchmarks measure its CPU time)."""
        return None if self._process is None else self._process.pid

    @property
    def headers(self) -> dict[str, str]:
        """Headers that authenticate as the administrator."""
        return {"Authorization": f"Token {self.admin_token}"}

    def client(self, **kwargs: Any) -> httpx.Client:
        """An httpx client bound to the server, authenticated as the administrator."""
        return httpx.Client(base_url=self.url, headers=self.headers, **kwargs)

    def _control(self, method: str, path: str, payload: Any = None) -> Any:
        response = httpx.request(
            method, self.url + path, json=payload, headers=self.headers, timeout=30
        )
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path} failed ({response.status_code}): {response.text}")
        return response.json() if response.content else None

    def create_user(
        self,
        username: str,
        password: str,
        *,
        group: str = "user",
        email: str = "",
        first_name: str = "",
        last_name: str = "",
    ) -> dict[str, Any]:
        """Create a user; returns ``{"id", "username", "token"}``.

        ``group`` is CVAT's system role: ``user``, ``worker``, ``business`` or ``admin``.
        """
        return self._control(
            "POST",
            "/_test/users",
            {
                "username": username,
                "password": password,
                "group": group,
                "email": email,
                "first_name": first_name,
                "last_name": last_name,
            },
        )

    def add_membership(self, org_slug: str, username: str, role: str = "worker") -> None:
        """Make a user a member of an organization (CVAT would need an accepted invitation)."""
        self._control(
            "POST", "/_test/memberships", {"org": org_slug, "username": username, "role": role}
        )

    def inject_fault(self, **rule: Any) -> dict[str, Any]:
        """Add one fault rule (see docs/local-cvat-server.md); returns it with its id."""
        return self._control("POST", "/_test/faults", rule)[0]

    @contextmanager
    def fault(self, **rule: Any) -> Iterator[dict[str, Any]]:
        """A fault rule active only inside the ``with`` block (yields the rule)."""
        added = self.inject_fault(**rule)
        try:
            yield added
        finally:
            self._control("DELETE", f"/_test/faults/{added['id']}")

    def faults(self) -> list[dict[str, Any]]:
        """The active rules with their ``matched``/``fired`` counters."""
        return self._control("GET", "/_test/faults")["faults"]

    def clear_faults(self) -> None:
        self._control("DELETE", "/_test/faults")

    def set_max_body_size(self, size: int | None) -> None:
        """Refuse request bodies over ``size`` bytes with 413 (None: no limit)."""
        self._control("PUT", "/_test/settings", {"max_body_size": size})

    def reset(self) -> None:
        """Delete every project, task, user (but the administrator) and fault."""
        self._control("POST", "/_test/reset")
