"""Installing labelloop is quiet: the build backend prints no deprecation warning, and the
license is declared as an SPDX expression."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_building_prints_no_setuptools_deprecation_and_declares_spdx_license(tmp_path):
    # what 'pip install -e .' runs too: an isolated build with the newest allowed setuptools
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "-v", "-w", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=880,
    )
    output = built.stdout + built.stderr
    assert built.returncode == 0, output[-3000:]
    assert "SetuptoolsDeprecationWarning" not in output, output[-3000:]
    (wheel,) = tmp_path.glob("labelloop-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(name).decode()
    assert "License-Expression: Apache-2.0" in metadata
