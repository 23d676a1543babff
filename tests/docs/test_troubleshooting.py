"""Every error message quoted in the troubleshooting page still exists in the code, so the page
cannot describe messages the library no longer raises."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "troubleshooting.md"
#: Placeholders and elisions in a quoted message: label_schema['<f>'], <name>, '<name>', ...
GAP = re.compile(r"label_schema\['<[^>]*>'\]|'?<[^>]*>'?|\.\.\.|\[\.\.\.\]|\(\w+Error[^)]*\)")


def _quoted_messages() -> list[str]:
    """The backticked first cell of every table row (the message column)."""
    rows = [
        line for line in PAGE.read_text(encoding="utf-8").splitlines() if line.startswith("| `")
    ]
    return [re.match(r"\| `(.*?)` ", row)[1] for row in rows]


def _source_text() -> str:
    files = sorted((REPO / "labelloop").rglob("*.py"))
    text = "\n".join(p.read_text(encoding="utf-8") for p in files)
    # messages are often split over implicit string concatenations
    return re.sub(r'"\s*\n\s*f?"', "", text)


def test_quoted_messages_exist_in_the_code():
    source = _source_text()
    messages = _quoted_messages()
    assert len(messages) >= 25
    missing = []
    for message in messages:
        for fragment in GAP.split(message):
            fragment = fragment.strip(" .:;'")
            if len(fragment) >= 12 and fragment not in source:
                missing.append((message, fragment))
    assert not missing, missing
