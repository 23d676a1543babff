"""Differential conformance: the local server answers as a real CVAT does, refusals included.

Runs when ``LABELLOOP_TEST_CVAT_URL``, ``LABELLOOP_TEST_CVAT_USERNAME`` and
``LABELLOOP_TEST_CVAT_PASSWORD`` name a real CVAT (2.73); it starts a local
server, builds the same fixtures on both, sends every kind of
``differential_kinds.KINDS`` to both in order and compares status codes, error
shapes and response schemas. Everything created on the real server is deleted
at the end. One test per kind reports that kind's mismatch; the session prints
``differential: N request kinds compared, M mismatches`` and the table.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator

import pytest

from labelloop.testing.cvat_server import LocalCVATServer
from tests.cvat_server.differential import Outcome, Side, report, run_all
from tests.cvat_server.differential_kinds import KINDS
from tests.cvat_server.differential_world import build_world, write_media

_ENV = ("LABELLOOP_TEST_CVAT_URL", "LABELLOOP_TEST_CVAT_USERNAME", "LABELLOOP_TEST_CVAT_PASSWORD")
_MISSING = [name for name in _ENV if not os.environ.get(name)]

# the first test builds both servers' fixtures and sends every kind (2-3 minutes on 2 cores)
pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def outcomes(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[dict[str, Outcome]]:
    """Both servers prepared alike, every kind sent to both; the outcome of each kind."""
    if _MISSING:
        pytest.skip(
            f"the differential test needs a real CVAT: set {', '.join(_MISSING)} "
            "(see docs/local-cvat-server.md)"
        )
    media = write_media(tmp_path_factory.mktemp("differential-media"))
    prefix = f"difftest-{uuid.uuid4().hex[:8]}"
    real = Side(
        "real",
        os.environ["LABELLOOP_TEST_CVAT_URL"].rstrip("/"),
        os.environ["LABELLOOP_TEST_CVAT_USERNAME"],
        os.environ["LABELLOOP_TEST_CVAT_PASSWORD"],
        media,
    )
    data_dir = tmp_path_factory.mktemp("differential-local")
    plugins = request.config.pluginmanager
    reporter = plugins.get_plugin("terminalreporter")
    capture = plugins.get_plugin("capturemanager")

    def log(line: str) -> None:
        """Straight to the terminal, also when output is captured (CI shows the table)."""
        if reporter is None or capture is None:
            print(line)
            return
        with capture.global_and_fixture_disabled():
            reporter.write_line(line)

    with LocalCVATServer(data_dir, username="admin", password="differential-pw") as server:
        local = Side("local", server.url, "admin", "differential-pw", media)
        started = time.monotonic()
        try:
            build_world(local, prefix)
            build_world(real, prefix)
            results = run_all(KINDS, local, real, log=log)
        finally:
            left = real.cleanup()
            local.cleanup()
        log("")
        log(report(results))
        log(f"differential: {time.monotonic() - started:.1f} s")
        if left:
            log(f"differential: could not delete on the real server: {left}")
        yield {outcome.kind.name: outcome for outcome in results}


def test_kind_names_are_unique() -> None:
    names = [kind.name for kind in KINDS]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    assert len(names) >= 60


@pytest.mark.parametrize("name", [kind.name for kind in KINDS])
def test_kind_agrees_with_real_cvat(outcomes: dict[str, Outcome], name: str) -> None:
    outcome = outcomes[name]
    assert not outcome.problems, (
        f"{outcome.kind.method} {outcome.kind.path}: {'; '.join(outcome.problems)}\n"
        f"  local: {outcome.local.describe()}\n  real:  {outcome.real.describe()}"
    )


def test_no_mismatch(outcomes: dict[str, Outcome]) -> None:
    """All kinds at once, with the full table as the failure message."""
    bad = [o for o in outcomes.values() if o.problems]
    assert not bad, report(list(outcomes.values()))
