"""A tiny real HTTP server that misbehaves on purpose, for the client's retry tests.

It runs uvicorn in a thread on 127.0.0.1 and answers according to a script
of ``(status, headers, body)`` per path, recording every request it saw.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import defaultdict
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


class FlakyServer:
    """Serve scripted responses; ``script[path]`` is consumed one entry per request."""

    def __init__(self) -> None:
        self.script: dict[str, list[tuple[int, dict[str, str], Any]]] = defaultdict(list)
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        app = Starlette(
            routes=[
                Route(
                    "/{path:path}",
                    self._handle,
                    methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"],
                )
            ]
        )
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="error")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self) -> FlakyServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("flaky server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def add(self, path: str, status: int, body: Any = None, headers: dict | None = None) -> None:
        self.script[path].append((status, headers or {}, body))

    async def _handle(self, request: Request) -> Response:
        path = "/" + request.path_params["path"]
        self.seen.append((request.method, path, dict(request.headers)))
        steps = self.script.get(path)
        if not steps:
            return JSONResponse({"detail": "Not found."}, status_code=404)
        status, headers, body = steps.pop(0) if len(steps) > 1 else steps[0]
        if callable(body):
            body = body(request)
        return JSONResponse(body if body is not None else {}, status_code=status, headers=headers)
