"""Running the command line: in-process with click's CliRunner, or as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from labelloop.cli.main import cli

REPO = Path(__file__).resolve().parents[2]


def run_cli(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
    """``labelloop ARGS`` in this process; exceptions become exit codes as in a terminal."""
    return CliRunner().invoke(cli, list(args), env=env, input=input, catch_exceptions=False)


def run_process(
    *args: str, env: dict[str, str] | None = None, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    """``python -m labelloop ARGS`` as a child process (the repository first on the path)."""
    full_env: dict[str, Any] = {**os.environ, **(env or {})}
    full_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO), full_env.get("PYTHONPATH", "")) if p
    )
    return subprocess.run(
        [sys.executable, "-m", "labelloop", *args],
        cwd=REPO,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
