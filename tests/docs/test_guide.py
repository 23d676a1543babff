"""Every Python and ``labelloop`` command block of the user guide and the README runs, in order,
against the local CVAT server, with the test's person doing the work in CVAT."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs import person
from tests.docs.blocks import code_blocks, run_markdown

REPO = Path(__file__).resolve().parents[2]
#: Pages other parts of the project own and test.
NOT_OURS = {"architecture.md", "local-cvat-server.md", "app.md"}
PAGES = [REPO / "README.md"] + sorted(
    p for p in (REPO / "docs").glob("*.md") if p.name not in NOT_OURS
)
DATA_FENCES = {"json", "text", "bash", ""}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_runs(page, cvat_server, reader_env):
    tasks_before = person.open_jobs(cvat_server)
    ran = run_markdown(page, lambda: person.play(cvat_server))
    languages = {language for language, _, _ in code_blocks(page)}
    assert languages <= DATA_FENCES | {"python", "console"}, languages
    if "python" in languages or "console" in languages:
        assert sum(ran.values()) > 0
    assert person.open_jobs(cvat_server) == tasks_before == []


def test_guide_links_resolve():
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for target in __import__("re").findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):
            assert (page.parent / target).exists(), f"{page.name}: broken link {target}"
