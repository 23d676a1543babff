"""Find every Python code example of the two spec editions, at test time.

The spec files are read where they live (``../shared/spec/`` beside the checkout, as CI
lays it out, else ``/work/shared/spec/``, or ``LABELLOOP_SPEC_DIR``); nothing of
their text is stored in this repository. An example is identified by its
edition (``md`` newer, ``rst`` older), the anchor of the section it sits in
and its ordinal inside that section, e.g. ``md:cvat-label-schema:2``.
"""

from __future__ import annotations

import os
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path


def _spec_dir() -> Path:
    """Where the spec lives; a missing spec fails the suite rather than skipping it."""
    if os.environ.get("LABELLOOP_SPEC_DIR"):
        return Path(os.environ["LABELLOOP_SPEC_DIR"])
    beside = Path(__file__).resolve().parents[2].parent / "shared" / "spec"
    return beside if beside.is_dir() else Path("/work/shared/spec")


SPEC_DIR = _spec_dir()
EDITIONS = {"md": "001_cab763dc89e38140.txt", "rst": "000_0bc0f7eb1d7f9504.txt"}

_MD_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
_MD_HEADING = re.compile(r"^#{1,6} .*?\(\\#([\w-]+)", re.M)
_RST_DIRECTIVE = re.compile(r"^( *)\.\. code(?:-block)?:: *python *$")
_RST_LABEL = re.compile(r"^\.\. _([\w-]+):\s*$")
_RST_UNDERLINE = re.compile(r"^([=\-_~^\"'`#*+])\1{2,}\s*$")

#: ``fiftyone`` module -> ``labelloop`` module, as the spec's README maps them.
_IMPORTS = [
    (re.compile(r"\bfiftyone\.utils\.annotations\b"), "labelloop.utils.annotations"),
    (re.compile(r"\bfiftyone\.utils\.cvat\b"), "labelloop.utils.cvat"),
    (re.compile(r"\bfiftyone\.zoo\b"), "labelloop.zoo"),
    (re.compile(r"\bfiftyone\b"), "labelloop"),
]


@dataclass(frozen=True)
class Example:
    """One Python code block of a spec edition."""

    edition: str
    section: str
    ordinal: int
    line: int
    code: str

    @property
    def id(self) -> str:
        return f"{self.edition}:{self.section}:{self.ordinal}"

    @property
    def source_name(self) -> str:
        return f"{SPEC_DIR / EDITIONS[self.edition]}:{self.line}"


def map_imports(code: str) -> str:
    """Change only the import lines: ``fiftyone`` modules become ``labelloop`` ones."""
    out = []
    for line in code.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("import fiftyone", "from fiftyone")):
            for pattern, target in _IMPORTS:
                line = pattern.sub(target, line)
        out.append(line)
    return "\n".join(out) + "\n"


def _number(edition: str, found: list[tuple[str, int, str]]) -> list[Example]:
    seen: dict[str, int] = {}
    examples = []
    for section, line, code in found:
        seen[section] = seen.get(section, 0) + 1
        examples.append(Example(edition, section, seen[section], line, code))
    return examples


def _markdown(text: str) -> list[tuple[str, int, str]]:
    headings = [(m.start(), m[1]) for m in _MD_HEADING.finditer(text)]
    found = []
    for m in _MD_FENCE.finditer(text):
        if m[1] != "python":
            continue
        section = next((a for pos, a in reversed(headings) if pos < m.start()), "top")
        found.append((section, text.count("\n", 0, m.start()) + 2, m[2]))
    return found


def _rst(text: str) -> list[tuple[str, int, str]]:
    lines = text.splitlines()
    found = []
    section = "top"
    i = 0
    while i < len(lines):
        label = _RST_LABEL.match(lines[i])
        if label:
            section = label[1]
        elif i and _RST_UNDERLINE.match(lines[i]) and lines[i - 1].strip():
            # a heading without a label of its own names the section by its title
            if i < 2 or not _RST_LABEL.match(lines[i - 3] if i >= 3 else ""):
                section = re.sub(r"[^a-z0-9]+", "-", lines[i - 1].lower()).strip("-")
        directive = _RST_DIRECTIVE.match(lines[i])
        if directive:
            indent = len(directive[1])
            j = i + 1
            while j < len(lines) and re.match(rf"^ {{{indent + 1},}}:\w+:", lines[j]):
                j += 1  # directive options such as :linenos:
            body = []
            while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) > indent):
                body.append(lines[j])
                j += 1
            code = textwrap.dedent("\n".join(body)).strip("\n") + "\n"
            found.append((section, i + 1, code))
            i = j
            continue
        i += 1
    return found


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def examples() -> list[Example]:
    """Every Python block of both editions, newer edition first, each in document order."""
    out = []
    for edition, name in EDITIONS.items():
        text = (SPEC_DIR / name).read_text(encoding="utf-8")
        found = _markdown(text) if edition == "md" else _rst(text)
        out.extend(_number(edition, found))
    return out
