"""``launch_app(auto=True)`` under a real IPython shell: inline iframe in a notebook kernel,
the web browser in a terminal IPython."""

from __future__ import annotations

import re
import webbrowser

import httpx
import pytest

IPython = pytest.importorskip("IPython")
from IPython.core.interactiveshell import InteractiveShell  # noqa: E402
from IPython.utils.capture import capture_output  # noqa: E402
from traitlets.config import Config  # noqa: E402

_SRC = re.compile(r'<iframe[^>]*\bsrc="([^"]+)"', re.S)


@pytest.fixture
def shell(image_dataset, tmp_path, monkeypatch):
    """A fresh IPython shell with ``ds`` (the dataset) in its namespace; cleared afterwards.

    Its profile lives under ``tmp_path`` and it keeps no history, so the user's is untouched.
    """
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=config)
    shell.user_ns["ds"] = image_dataset
    shell.run_cell("import labelloop as ll", store_history=False).raise_error()
    yield shell
    session = shell.user_ns.get("session")
    if session is not None:
        session.close()
    InteractiveShell.clear_instance()


def _run(shell, code: str):
    with capture_output() as captured:
        shell.run_cell(code, store_history=False).raise_error()
    return captured


def test_notebook_kernel_displays_an_iframe_of_the_session(shell, monkeypatch):
    # A notebook's shell is the kernel's (ipykernel sets ``shell.kernel``); nothing else differs.
    monkeypatch.setattr(shell, "kernel", object(), raising=False)
    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: opened.append(url) or True)

    captured = _run(shell, "session = ll.launch_app(ds, port=0)")

    session = shell.user_ns["session"]
    html = [out.data["text/html"] for out in captured.outputs if "text/html" in out.data]
    assert len(html) == 1
    (src,) = _SRC.findall(html[0])
    assert src == session.url
    assert opened == []  # no browser window besides the inline frame
    page = httpx.get(src, timeout=10)  # the frame's address serves the App's page
    assert page.status_code == 200 and "<html" in page.text.lower()


def test_displaying_the_session_shows_it_inline(shell):
    _run(shell, "session = ll.launch_app(ds, port=0, auto=False)")
    captured = _run(shell, "from IPython.display import display; display(session)")
    session = shell.user_ns["session"]
    html = "".join(out.data.get("text/html", "") for out in captured.outputs)
    assert _SRC.findall(html) == [session.url]


def test_terminal_ipython_opens_the_web_browser(shell, monkeypatch):
    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: opened.append(url) or True)

    captured = _run(shell, "session = ll.launch_app(ds, port=0)")

    assert opened == [shell.user_ns["session"].url]
    assert not [out for out in captured.outputs if "text/html" in out.data]
