"""Run a Markdown file's code blocks the way a reader would, in order, in one namespace.

``python`` blocks are executed; in ``console`` blocks every ``$ labelloop ...``
line is run through click's CliRunner (other fence languages hold data: JSON,
file layouts). After every block and command the test's person
(:mod:`tests.docs.person`) works on any open CVAT job, which is where a reader
would annotate in CVAT.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from labelloop.cli.main import cli

FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
RUNNABLE = ("python", "console")


def code_blocks(path: Path) -> list[tuple[str, str, int]]:
    """``(language, code, first line number)`` of every fenced block."""
    text = path.read_text(encoding="utf-8")
    return [(m[1], m[2], text.count("\n", 0, m.start()) + 2) for m in FENCE.finditer(text)]


def run_markdown(path: Path, after_step: Callable[[], Any]) -> dict[str, int]:
    """Run every runnable block of ``path``; returns how many blocks/commands ran."""
    namespace: dict[str, Any] = {"__name__": "__main__"}
    ran = {"python": 0, "console": 0}
    for language, code, line in code_blocks(path):
        if language == "python":
            exec(compile(code, f"{path}:{line}", "exec"), namespace)  # noqa: S102
            ran["python"] += 1
            after_step()
        elif language == "console":
            for command in code.splitlines():
                if not command.startswith("$ labelloop "):
                    continue
                args = shlex.split(command[2:])[1:]
                result = CliRunner().invoke(cli, args, catch_exceptions=False)
                assert result.exit_code == 0, f"{path}:{line}: {command}\n{result.output}"
                ran["console"] += 1
                after_step()
    return ran
