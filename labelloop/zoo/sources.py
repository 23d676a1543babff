"""The zoo's catalogue: each entry knows how to produce its samples locally.

A source returns :class:`~labelloop.formats.ImportedSample` records for the
requested split and subset; :func:`labelloop.zoo.load_zoo_dataset` turns
them into a dataset. The two quickstart sources generate their media; real
datasets (COCO-2017) download it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from labelloop.formats.io import select_samples
from labelloop.formats.registry import ImportedSample
from labelloop.zoo import quickstart, quickstart_video


@dataclass(frozen=True)
class LoadRequest:
    """What to load: one split (or ``None``), label types and the sample subset."""

    split: str | None = None
    label_types: Sequence[str] | None = None
    max_samples: int | None = None
    shuffle: bool = False
    seed: Any = None


class ZooSource(ABC):
    """One zoo dataset: name, splits, label types and how to load samples."""

    name: ClassVar[str]
    description: ClassVar[str] = ""
    #: Split names; empty when the dataset has no splits.
    splits: ClassVar[tuple[str, ...]] = ()
    #: Label types the source can provide (``label_types`` argument).
    label_types: ClassVar[tuple[str, ...]] = ()
    #: Whether loading needs the network (the quickstarts never do).
    requires_download: ClassVar[bool] = False

    @abstractmethod
    def load(self, root: Path, request: LoadRequest) -> list[ImportedSample]:
        """Samples of ``request.split`` under the media directory ``root``."""


class _Generated(ZooSource):
    _module: Any = None

    def load(self, root: Path, request: LoadRequest) -> list[ImportedSample]:
        r = request
        indices = select_samples(
            list(range(self._module.NUM_SAMPLES)), r.max_samples, r.shuffle, r.seed
        )
        return self._module.load_samples(root, indices)


class Quickstart(_Generated):
    """200 drawn images with ground truth and predictions, generated offline."""

    name = "quickstart"
    description = "200 generated images: ground_truth, predictions, uniqueness (offline)"
    _module = quickstart


class QuickstartVideo(_Generated):
    """10 generated H.264 clips with tracked frame-level detections."""

    name = "quickstart-video"
    description = "10 generated videos with frames.detections tracks (offline)"
    _module = quickstart_video


_SOURCES: dict[str, ZooSource] = {}


def register_source(source: ZooSource) -> ZooSource:
    """Add ``source`` to the catalogue under its name."""
    _SOURCES[source.name] = source
    return source


def get_source(name: str) -> ZooSource:
    """The source called ``name`` (``ValueError`` listing the known ones)."""
    try:
        return _SOURCES[name]
    except KeyError:
        raise ValueError(
            f"Unknown zoo dataset {name!r}; available: {', '.join(sorted(_SOURCES))}"
        ) from None


def source_names() -> list[str]:
    """Names of all zoo datasets, sorted."""
    return sorted(_SOURCES)


register_source(Quickstart())
register_source(QuickstartVideo())
