"""Every Python code example of the spec runs, with only its import lines changed.

The examples are read from ``/work/shared/spec/`` at test time (see
:mod:`tests.spec_examples.blocks`), one test per example, in document order.
Blocks of one section share a namespace, as a reader's session would; before a
section's first block the server and the datasets are emptied and the section's
context (:data:`tests.spec_examples.reader.SETUP`) is set up. Where the spec
says to annotate in CVAT, the scripted person does it (``reader.work_in_cvat``).
Blocks that are not Python or are fragments are listed in :data:`NOT_RUNNABLE`
with the reason; the list is checked against the spec so it cannot go stale.
"""

from __future__ import annotations

import ast
import os
from typing import Any

import pytest

import labelloop
from labelloop.annotation.config import annotation_config
from tests.docs import person
from tests.spec_examples import reader
from tests.spec_examples.blocks import Example, examples, map_imports
from tests.spec_examples.conftest import UNEXPECTED_FIELD

_FRAGMENT = "not runnable: fragment; `...` stands for arguments the reader fills in"
_SHELL = "not runnable: shell commands (export ...), not Python"
_JSON = "not runnable: JSON of the annotation config file, with `...` placeholders"
_OUTPUT = "not runnable: printed output the example shows, not code"

#: Reviewed: every block here was read and is not a Python program.
NOT_RUNNABLE: dict[str, str] = {
    "md:setup:1": _FRAGMENT,
    "md:authentication:1": _SHELL,
    "md:authentication:2": _JSON,
    "md:authentication:3": _FRAGMENT,
    "md:authentication:5": _OUTPUT,
    "md:cvat-self-hosted-server:1": _SHELL,
    "md:cvat-self-hosted-server:2": _JSON,
    "md:cvat-self-hosted-server:3": _FRAGMENT,
    "md:cvat-self-hosted-server:4": _JSON,
    "md:cvat-self-hosted-server:5": _FRAGMENT,
    "md:requesting-annotations:1": _FRAGMENT,
    "md:viewing-task-statuses:2": _OUTPUT,
    "rst:cvat-setup:1": _FRAGMENT,
    "rst:authentication:1": _FRAGMENT,
    "rst:cvat-self-hosted-server:1": _FRAGMENT,
    "rst:cvat-requesting-annotations:1": _FRAGMENT,
}

EXAMPLES = examples()
_namespaces: dict[tuple[str, str], tuple[dict[str, Any], int]] = {}


def _runnable(example: Example) -> bool:
    return example.id not in NOT_RUNNABLE


def _start_section(example: Example, server: Any) -> dict[str, Any]:
    """A new reader's session: an empty server, no datasets, the section's context."""
    server.reset()
    for name in labelloop.list_datasets():
        labelloop.delete_dataset(name)
    namespace: dict[str, Any] = {"__name__": "__main__"}
    setup = reader.SETUP.get(example.section)
    if setup:
        exec(compile(setup, f"<setup of {example.section}>", "exec"), namespace)  # noqa: S102
    return namespace


def _run(example: Example, namespace: dict[str, Any], server: Any) -> list[int]:
    """Run one block chunk by chunk; returns the jobs done at each hands-on step."""
    done = []
    before = reader.BEFORE.get(f"{example.section}:{example.ordinal}")
    if before:
        exec(compile(before, f"<before {example.id}>", "exec"), namespace)  # noqa: S102
    code = reader.fill_placeholders(map_imports(example.code))
    for index, chunk in enumerate(reader.chunks(code)):
        if index:
            done.append(reader.work_in_cvat(server, example.section))
        exec(compile(chunk, example.source_name, "exec"), namespace)  # noqa: S102
    person.play(server)  # work the next block of the section will load
    return done


def _section_namespace(example: Example, server: Any) -> dict[str, Any]:
    """The section's namespace with every earlier runnable block of it already run."""
    key = (example.edition, example.section)
    namespace, last = _namespaces.get(key, (None, 0))
    if example.section in reader.INDEPENDENT:
        namespace, last = _start_section(example, server), example.ordinal
    elif namespace is None or last >= example.ordinal:
        namespace, last = _start_section(example, server), 0
    for earlier in EXAMPLES:
        if (earlier.edition, earlier.section) == key and last < earlier.ordinal < example.ordinal:
            if _runnable(earlier):
                _run(earlier, namespace, server)
    _namespaces.clear()
    _namespaces[key] = (namespace, example.ordinal)
    return namespace


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.id)
def test_example_runs(example: Example, harness, monkeypatch) -> None:
    if not _runnable(example):
        # a reviewed fragment: it must not be a whole Python program
        with pytest.raises((SyntaxError, NameError, TypeError, AttributeError)):
            exec(compile(example.code, example.source_name, "exec"), {})  # noqa: S102
        pytest.skip(NOT_RUNNABLE[example.id])
    if example.section == "authentication":
        # the section shows the prompt a reader without stored credentials gets
        for name in ("LABELLOOP_CVAT_USERNAME", "LABELLOOP_CVAT_PASSWORD"):
            monkeypatch.delenv(name, raising=False)
        annotation_config.reload()
    namespace = _section_namespace(example, harness.server)
    done = _run(example, namespace, harness.server)
    assert all(done), f"a hands-on step found no open job in CVAT: {done}"
    if example.section == "authentication":
        assert harness.terminal.prompts[-2:] == ["Username: ", "Password: "]
    if example.section == "unexpected-annotations":
        # the polylines drawn in CVAT went to the field the reader named at the prompt
        values = namespace["dataset"].values(f"{UNEXPECTED_FIELD}.polylines")
        assert any(values), harness.terminal.prompts
    assert person.open_jobs(harness.server) == []


def test_lists_match_the_spec() -> None:
    ids = {example.id for example in EXAMPLES}
    assert set(NOT_RUNNABLE) <= ids
    assert len(ids) == len(EXAMPLES)
    for example in EXAMPLES:
        if _runnable(example):
            ast.parse(map_imports(example.code))  # every runnable block is whole Python
    assert os.path.isdir(os.path.dirname(EXAMPLES[0].source_name.rsplit(":", 1)[0]))
