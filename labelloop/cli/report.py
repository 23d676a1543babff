"""Prints a merge report (``load_annotations``'s result): counts per field, then each change."""

from __future__ import annotations

import json
from typing import Any

from labelloop.cli.output import console, table


def print_report(report: Any, title: str) -> None:
    """Counts per field, then the itemised review: what is added, deleted, edited (before ->
    after), refused (why), conflicting (and which side won), and what was skipped."""
    rows = []
    for name, diff in report.fields.items():
        refused = ", ".join(f"{n} {why}" for why, n in sorted(diff.refused_counts().items()))
        rows.append(
            (name, diff.added, diff.deleted, diff.edited, refused or 0, len(diff.conflicts))
        )
    columns = ("field", "added", "deleted", "edited", "refused", "conflicts")
    console.print(table(title, columns, rows))
    for name, diff in report.fields.items():
        for item in diff.items:
            console.print(_item_line(item))
        if diff.items_left_out:
            console.print(f"  ... and {diff.items_left_out} more change(s) in {name!r}")
    for skip in report.skipped:
        frames = f" frames {skip['frames'][0]}-{skip['frames'][1]}" if skip["frames"] else ""
        console.print(
            f"skipped {skip['source']}{frames} ({skip['reason']}): "
            f"{len(skip['samples'])} sample(s) left as they are"
        )
    for name, kinds in report.unexpected.items():
        console.print(f"unexpected labels in {name!r}: {json.dumps(kinds, default=str)}")
    if report.missing_samples:
        console.print(f"{report.missing_samples} sample(s) of the run no longer exist")


def _item_line(item: Any) -> str:
    where = f"{item.field} sample {item.sample_id}"
    if item.frame is not None:
        where += f" frame {item.frame}"
    what = f"label {item.label_id}" if item.label_id else "value"
    if item.label is not None:
        what += f" ({item.label})"
    changes = "; ".join(f"{name}: {old!r} -> {new!r}" for name, (old, new) in item.changes.items())
    line = f"  {item.kind:<8} {where} {what}"
    if changes:
        line += f": {changes}"
    if item.reason:
        line += f" [{item.reason}" + (f", kept {item.resolution}]" if item.resolution else "]")
    return line
