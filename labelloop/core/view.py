"""DatasetView: a dataset seen through a list of stages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from labelloop.core.collection import SampleCollection

if TYPE_CHECKING:
    from labelloop.core.dataset import Dataset
    from labelloop.core.sample import Sample
    from labelloop.core.stages import Stage


class DatasetView(SampleCollection):
    """A lazy, chainable selection of a dataset's samples, fields and labels."""

    def __init__(self, dataset: Dataset, stages: list[Stage]) -> None:
        self._root = dataset
        self.stages = list(stages)

    @property
    def _dataset(self) -> Dataset:
        return self._root

    def _new_view(self, stages: list[Stage]) -> DatasetView:
        return DatasetView(self._root, stages)

    def __getitem__(self, sample_id: str) -> Sample:
        for sample in self.select(sample_id) if isinstance(sample_id, str) else ():
            return sample
        raise KeyError(f"No sample with id {sample_id!r} in this view")

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, DatasetView)
            and other._root is self._root
            and other._serialize() == self._serialize()
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        stages = "\n".join(f"    {s!r}" for s in self.stages)
        return f"<DatasetView of '{self._root.name}' with stages:\n{stages}>"

    def to_dict(self) -> dict[str, Any]:
        """The dataset name and serialized stages."""
        return {"dataset": self._root.name, "stages": self._serialize()}
