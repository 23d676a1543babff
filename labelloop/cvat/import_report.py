"""What ``import_annotations`` did and what it could not do, counted with examples."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

_EXAMPLES = 3


@dataclass
class ImportReport:
    """Counts of an import; ``problems`` maps each kind of skipped item to its count and
    ``examples`` to a few of them (task, frame, file name), so nothing is dropped silently;
    ``excluded`` counts CVAT objects by kind that ``label_types`` left out on purpose."""

    tasks: list[int] = field(default_factory=list)
    samples_added: int = 0
    samples_updated: int = 0
    labels_added: int = 0
    labels_updated: int = 0
    media_downloaded: int = 0
    excluded: Counter[str] = field(default_factory=Counter)
    problems: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def skip(self, problem: str, example: str, count: int = 1) -> None:
        """Record ``count`` items not imported because of ``problem``."""
        self.problems[problem] += count
        shown = self.examples.setdefault(problem, [])
        if len(shown) < _EXAMPLES:
            shown.append(example)

    def log(self) -> None:
        """One info line for the totals, one warning per kind of skipped item."""
        logger.info(
            "Imported %d task(s): %d sample(s) added, %d updated; %d label(s) added, "
            "%d updated; %d media file(s) downloaded",
            len(self.tasks),
            self.samples_added,
            self.samples_updated,
            self.labels_added,
            self.labels_updated,
            self.media_downloaded,
        )
        for kind, count in self.excluded.items():
            logger.info("%d CVAT object(s) of kind %r left out by label_types", count, kind)
        for problem, count in self.problems.items():
            logger.warning(
                "%d item(s) not imported: %s (e.g. %s)",
                count,
                problem,
                "; ".join(self.examples.get(problem, ())),
            )
