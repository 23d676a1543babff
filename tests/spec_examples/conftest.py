"""The reader's environment for the spec examples: the local CVAT server, no browser,
a headless App and a terminal whose prompts the harness answers."""

from __future__ import annotations

import builtins
import getpass
import io
import sys
from collections.abc import Iterator
from typing import Any

import pytest

import labelloop
from labelloop.testing.fixtures import cvat_server, cvat_server_fresh  # noqa: F401
from tests.docs.conftest import reader_env  # noqa: F401

#: Field the reader names when asked where unexpected labels go.
UNEXPECTED_FIELD = "unexpected_labels"


class Terminal(io.StringIO):
    """stdin of an interactive shell: prompts are allowed and answered by :meth:`answer`."""

    def __init__(self, server: Any) -> None:
        super().__init__()
        self.server = server
        self.prompts: list[str] = []

    def isatty(self) -> bool:
        return True

    def answer(self, prompt: str = "") -> str:
        self.prompts.append(prompt)
        if "sername" in prompt:
            return self.server.username
        if "assword" in prompt:
            return self.server.password
        return UNEXPECTED_FIELD


class Harness:
    """What the test sees of the reader's session: the terminal and the Apps launched."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.terminal = Terminal(server)
        self.sessions: list[Any] = []

    def launch_app(self, *args: Any, **kwargs: Any) -> Any:
        """The App on a free port, not opened anywhere (no browser on a test machine)."""
        kwargs.update(port=0, auto=False)
        session = _launch_app(*args, **kwargs)
        self.sessions.append(session)
        return session

    def close(self) -> None:
        for session in self.sessions:
            session.close()


_launch_app = labelloop.launch_app


@pytest.fixture
def harness(cvat_server, reader_env) -> Iterator[Harness]:  # noqa: F811
    """The reader's terminal and App for one example."""
    harness = Harness(cvat_server)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "stdin", harness.terminal)
        patch.setattr(builtins, "input", harness.terminal.answer)
        patch.setattr(getpass, "getpass", harness.terminal.answer)
        patch.setattr(labelloop, "launch_app", harness.launch_app)
        yield harness
    harness.close()
