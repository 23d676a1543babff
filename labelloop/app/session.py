"""``launch_app()`` and :class:`Session`: the App's server running in a background thread.

The session owns the dataset/view being shown and a version counter; setting
``session.view`` (or ``dataset``, or calling ``refresh()``) bumps the version,
which the page polls twice a second and follows by reloading its data.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
import webbrowser
from typing import Any

from labelloop.app.state import AppState

logger = logging.getLogger(__name__)


class Session:
    """A running App: the server plus the dataset and view it shows.

    Create with :func:`launch_app`. ``view`` and ``dataset`` are settable and
    the page follows within a second; ``close()`` stops the server.
    """

    def __init__(
        self,
        dataset: Any = None,
        view: Any = None,
        port: int = 5151,
        address: str = "localhost",
        remote: bool = False,
    ) -> None:
        if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
            raise ValueError(
                f"port must be an integer in 0..65535 (0 = any free port), got {port!r}"
            )
        _require_server_packages()
        self._state = AppState(dataset, view)
        sock = _bind(address, port)  # fails here, before any thread starts, if the port is taken
        self._address = address
        self._port = sock.getsockname()[1]
        self._closed = threading.Event()
        self._server, self._thread = _start_server(self._state, sock, _allowed_hosts(address))
        logger.info("App running at %s", self.url)
        if remote:
            logger.info(
                "Remote session: on your machine run `ssh -N -L %d:127.0.0.1:%d <user>@<host>` "
                "and open http://localhost:%d",
                self._port,
                self._port,
                self._port,
            )

    # -- what is shown ----------------------------------------------------

    @property
    def url(self) -> str:
        """The App's address."""
        host = self._address
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"http://{host}:{self._port}/"

    @property
    def port(self) -> int:
        """The port the server listens on (the real one when launched with ``port=0``)."""
        return self._port

    @property
    def dataset(self) -> Any:
        """The dataset shown, or ``None``."""
        return self._state.dataset

    @dataset.setter
    def dataset(self, dataset: Any) -> None:
        self._state.set(dataset, None)

    @property
    def view(self) -> Any:
        """The view shown (``None`` when the whole dataset is shown)."""
        return self._state.view

    @view.setter
    def view(self, view: Any) -> None:
        self._state.set(self._state.dataset if view is None else None, view)

    def clear_view(self) -> None:
        """Show the whole dataset again."""
        self.view = None

    def refresh(self) -> None:
        """Make the page reload its data (after the dataset was edited in Python)."""
        self._state.bump()

    # -- lifecycle --------------------------------------------------------

    def open(self) -> None:
        """Open the App in the default web browser (or inline in a notebook)."""
        if _in_notebook():
            _show_iframe(self.url)
        elif not webbrowser.open(self.url):
            logger.warning("Could not open a browser; visit %s", self.url)

    def wait(self, wait: float = 3) -> None:
        """Block until the page was closed for ``wait`` seconds, or the session is closed.

        Like the reference App: a negative ``wait`` blocks until :meth:`close`
        (or Ctrl-C, which closes the session). Before any page connected it
        keeps waiting for one.
        """
        try:
            while not self._closed.is_set():
                if wait >= 0 and self._state.page_seen_within(max(wait, 0.5)) is False:
                    return
                self._closed.wait(0.25)
        except KeyboardInterrupt:
            self.close()

    def close(self) -> None:
        """Stop the server; the session can not be reopened."""
        if self._closed.is_set():
            return
        self._closed.set()
        self._server.should_exit = True
        self._thread.join(timeout=10)
        logger.info("App at %s closed", self.url)

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed.is_set()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "running"
        name = getattr(self.dataset, "name", None)
        return f"<Session {state} at {self.url} dataset={name!r}>"

    def _repr_html_(self) -> str:  # notebooks show the App inline when a session is displayed
        return f'<iframe src="{self.url}" width="100%" height="800" frameborder="0"></iframe>'


def launch_app(
    dataset_or_view: Any = None,
    view: Any = None,
    port: int = 5151,
    address: str = "localhost",
    remote: bool = False,
    auto: bool = True,
) -> Session:
    """Start the App on ``address:port`` showing a dataset or view, and return its session.

    ``auto`` opens it: inline in a notebook, else in the web browser (unless
    ``remote``, which only logs how to forward the port from your machine).
    """
    if dataset_or_view is not None and view is not None:
        raise ValueError("Pass either dataset_or_view or view=, not both")
    session = Session(dataset=dataset_or_view, view=view, port=port, address=address, remote=remote)
    if auto and not remote:
        session.open()
    return session


def _require_server_packages() -> None:
    """Fail early, naming the extra to install, when starlette or uvicorn is missing."""
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"The App needs starlette and uvicorn ({exc}); install them with: "
            "pip install 'labelloop[app]'"
        ) from exc


def _bind(address: str, port: int) -> socket.socket:
    try:
        infos = socket.getaddrinfo(address, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise OSError(f"Cannot resolve address {address!r} ({exc}); use e.g. 'localhost'") from None
    # IPv4 first: "localhost" then also answers on 127.0.0.1, which most tools use
    infos.sort(key=lambda info: info[0] != socket.AF_INET)
    family, _, _, _, sockaddr = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(sockaddr)
    except OSError as exc:
        sock.close()
        raise OSError(
            f"Cannot listen on {address}:{port} ({exc.strerror}); pass another port=, "
            "or port=0 for any free one"
        ) from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _start_server(
    state: AppState, sock: socket.socket, allowed_hosts: list[str] | None
) -> tuple[Any, threading.Thread]:
    import uvicorn

    from labelloop.app.server import create_app

    config = uvicorn.Config(
        create_app(state, allowed_hosts), log_level="warning", access_log=False, lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=lambda: asyncio.run(server.serve(sockets=[sock])), name="labelloop-app", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("The App server failed to start; see the log for the cause")
        time.sleep(0.01)
    return server, thread


def _allowed_hosts(address: str) -> list[str] | None:
    """Host names a loopback server answers to (``None``: any, for servers bound elsewhere)."""
    loopback = ["localhost", "127.0.0.1"]
    return loopback if address in loopback else None


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython  # type: ignore[import-not-found]
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def _show_iframe(url: str) -> None:
    from IPython.display import IFrame, display  # type: ignore[import-not-found]

    display(IFrame(url, width="100%", height=800))
