"""What datasets and views share: iteration, view stages, aggregations, runs.

The derived-view entry points (patches, frames, clips) come from
:class:`~labelloop.core.derived_views.DerivedViews`.

A collection is a dataset plus a list of stages (empty for the dataset
itself). Stage methods return new :class:`~labelloop.core.view.DatasetView`
objects; nothing is read until the view is iterated or aggregated.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from labelloop.core import (
    aggregations,
    derived,
    editing,
    extensions,
    labeltags,
    planner,
    runs,
    writer,
)
from labelloop.core import label_stages as ls
from labelloop.core import stages as st
from labelloop.core.derived_views import DerivedViews
from labelloop.core.map_labels import MapLabels

if TYPE_CHECKING:
    from labelloop.core.dataset import Dataset
    from labelloop.core.sample import Sample
    from labelloop.core.view import DatasetView

logger = logging.getLogger(__name__)


class SampleCollection(DerivedViews):
    """Base of :class:`Dataset` and :class:`DatasetView`."""

    stages: list[st.Stage]

    @property
    def _dataset(self) -> Dataset:
        raise NotImplementedError  # Dataset and DatasetView define it

    def _new_view(self, stages: list[st.Stage]) -> DatasetView:
        """A view of this collection's dataset through ``stages`` (defined by Dataset and
        DatasetView, which live above this module)."""
        raise NotImplementedError

    # -- basics ------------------------------------------------------------

    @property
    def dataset(self) -> Dataset:
        """The dataset whose samples this collection shows (a dataset: itself)."""
        return self._dataset

    @property
    def name(self) -> str:
        """Name of the underlying dataset."""
        return self._dataset.name

    @property
    def media_type(self) -> str | None:
        """``"image"``, ``"video"`` or ``None`` for an empty dataset (a frames view: images)."""
        return self.schema_source.media_type

    @property
    def schema_source(self) -> Any:
        """What the samples of this collection look like: the dataset, or a derived view's schema."""
        return derived.view_schema(self._dataset, self.stages)

    @property
    def _is_derived(self) -> bool:
        """Whether this is a patches, frames or clips view (its samples are not the dataset's)."""
        return derived.last_derivation(self.stages) is not None

    def _sample_maker(self) -> Callable[[dict[str, Any]], Sample]:
        """Turns this collection's documents into samples (derived views: derived samples)."""
        if self._is_derived:
            return derived.sample_maker(self)
        return lambda doc: self._dataset._make_sample(doc, self.stages)

    def _save_batch(self, samples: list[Sample]) -> None:
        if self._is_derived:
            derived.save_samples(self._dataset, samples)  # type: ignore[arg-type]
        else:
            writer.save_samples(self._dataset, samples)  # one write per table

    def __iter__(self) -> Iterator[Sample]:
        return self.iter_samples()

    def iter_samples(
        self, progress: bool = False, autosave: bool = False, batch_size: int | None = None
    ) -> Iterator[Sample]:
        """Samples in view order; ``autosave=True`` saves each one (in batches) after use.

        ``progress=True`` shows a progress bar.
        """
        docs: Iterator[dict[str, Any]] = planner.iter_docs(self)
        make = self._sample_maker()
        if progress:
            from labelloop.progress import bar

            docs = iter(bar(docs, total=self.count(), unit="sample"))
        if not autosave:
            for doc in docs:
                yield make(doc)
            return
        size = batch_size or 100
        pending: list[Sample] = []
        for doc in docs:
            sample = make(doc)
            if not self._is_derived:  # saving then writes only what the loop changed
                writer.remember(self._dataset, sample)
            yield sample
            pending.append(sample)
            if len(pending) >= size:
                self._save_batch(pending)
                pending = []
        self._save_batch(pending)

    def __len__(self) -> int:
        return self.count()

    def __bool__(self) -> bool:
        return True

    def first(self) -> Sample:
        """The first sample (``ValueError`` when empty)."""
        for sample in self.limit(1):
            return sample
        raise ValueError(f"{self._describe()} is empty")

    def last(self) -> Sample:
        """The last sample (``ValueError`` when empty)."""
        tail = self.tail(1)
        if not tail:
            raise ValueError(f"{self._describe()} is empty")
        return tail[0]

    def head(self, num_samples: int = 3) -> list[Sample]:
        """The first ``num_samples`` samples."""
        return list(self.limit(num_samples))

    def tail(self, num_samples: int = 3) -> list[Sample]:
        """The last ``num_samples`` samples."""
        total = self.count()
        return list(self.skip(max(total - num_samples, 0))) if num_samples > 0 else []

    def _describe(self) -> str:
        return f"Dataset '{self.name}'" if not self.stages else f"A view of dataset '{self.name}'"

    def _serialize(self) -> list[dict[str, Any]]:
        """The view's stages as JSON (``dataset._load_view(stages)`` rebuilds it)."""
        return [stage.serialize() for stage in self.stages]

    def view(self) -> DatasetView:
        """This collection as a view."""
        return self._new_view(list(self.stages))

    def _add_stage(self, stage: st.Stage) -> DatasetView:
        self._dataset._sync_schema()
        stage.validate(self.schema_source)
        return self._new_view([*self.stages, stage])

    # -- schema (delegated to the dataset) ---------------------------------

    def get_field_schema(self) -> dict[str, dict[str, Any]]:
        """``{field: spec}`` of sample fields (spec: ``kind`` and, for labels, ``cls``)."""
        if self._is_derived:
            return {k: dict(v) for k, v in self.schema_source.sample_schema.items()}
        return self._dataset.get_field_schema()

    def get_frame_field_schema(self) -> dict[str, dict[str, Any]] | None:
        """``{field: spec}`` of frame fields (``None`` for image datasets)."""
        if self._is_derived:
            schema = self.schema_source
            return dict(schema.frame_schema) if schema.media_type == "video" else None
        return self._dataset.get_frame_field_schema()

    def has_sample_field(self, field_name: str) -> bool:
        """Whether the dataset declares sample field ``field_name``."""
        return field_name in self.schema_source.sample_schema

    def has_frame_field(self, field_name: str) -> bool:
        """Whether the dataset declares frame field ``field_name``."""
        return field_name in self.schema_source.frame_schema

    def has_field(self, path: str) -> bool:
        """Whether ``path`` (``x`` or ``frames.x``) is a declared field."""
        if path.startswith("frames."):
            return self.has_frame_field(path[len("frames.") :])
        return self.has_sample_field(path)

    def get_classes(self, field: str) -> list[str] | None:
        """Classes of ``field`` (``dataset.classes``, falling back to ``default_classes``)."""
        return self._dataset.get_classes(field)

    def get_mask_targets(self, field: str) -> dict[Any, str] | None:
        """Mask targets of ``field`` (falling back to ``default_mask_targets``)."""
        return self._dataset.get_mask_targets(field)

    # -- stages ------------------------------------------------------------

    def select(self, sample_ids: Any, ordered: bool = False) -> DatasetView:
        """Only the samples with these ids (``ordered=True``: in the given order)."""
        return self._add_stage(st.Select(sample_ids, ordered))

    def exclude(self, sample_ids: Any) -> DatasetView:
        """All samples but those with these ids."""
        return self._add_stage(st.Exclude(sample_ids))

    def match(self, filter: Any) -> DatasetView:
        """Samples for which the expression is true."""
        return self._add_stage(st.Match(filter))

    def match_tags(self, tags: Any, bool: bool = True, all: bool = False) -> DatasetView:
        """Samples with any (``all=True``: every) of the tags; ``bool=False`` inverts."""
        return self._add_stage(st.MatchTags(tags, bool, all))

    def exists(self, field: str, bool: bool = True) -> DatasetView:
        """Samples whose ``field`` is set (``bool=False``: unset)."""
        return self._add_stage(st.Exists(field, bool))

    def limit(self, limit: int) -> DatasetView:
        """The first ``limit`` samples."""
        return self._add_stage(st.Limit(limit))

    def skip(self, skip: int) -> DatasetView:
        """All but the first ``skip`` samples."""
        return self._add_stage(st.Skip(skip))

    def take(self, size: int, seed: Any = None) -> DatasetView:
        """``size`` random samples (reproducible with ``seed``)."""
        return self._add_stage(st.Take(size, seed))

    def sort_by(self, field_or_expr: Any, reverse: bool = False) -> DatasetView:
        """Samples ordered by a field path or an expression."""
        return self._add_stage(st.SortBy(field_or_expr, reverse))

    def filter_labels(self, field: str, filter: Any, only_matches: bool = True) -> DatasetView:
        """Only the labels of ``field`` matching ``filter`` (an expression about one label)."""
        return self._add_stage(ls.FilterLabels(field, filter, only_matches))

    def match_labels(
        self,
        labels: Any = None,
        ids: Any = None,
        tags: Any = None,
        filter: Any = None,
        fields: Any = None,
        bool: bool | None = None,
    ) -> DatasetView:
        """Samples having a label that meets all the given criteria."""
        return self._add_stage(ls.MatchLabels(labels, ids, tags, filter, fields, bool))

    def select_labels(
        self,
        labels: Any = None,
        ids: Any = None,
        tags: Any = None,
        fields: Any = None,
        omit_empty: bool = True,
    ) -> DatasetView:
        """Only the labels meeting the criteria (other label fields hidden)."""
        return self._add_stage(ls.SelectLabels(labels, ids, tags, fields, omit_empty))

    def exclude_labels(
        self,
        labels: Any = None,
        ids: Any = None,
        tags: Any = None,
        fields: Any = None,
        omit_empty: bool = True,
    ) -> DatasetView:
        """Every label except those meeting the criteria."""
        return self._add_stage(ls.ExcludeLabels(labels, ids, tags, fields, omit_empty))

    def select_fields(self, field_names: Any = None) -> DatasetView:
        """Only the named fields (built-in fields always stay)."""
        return self._add_stage(st.SelectFields(field_names))

    def exclude_fields(self, field_names: Any) -> DatasetView:
        """Every field except the named ones."""
        return self._add_stage(st.ExcludeFields(field_names))

    def match_frames(self, filter: Any, omit_empty: bool = True) -> DatasetView:
        """Only the frames matching ``filter`` (video); ``omit_empty`` drops frameless samples."""
        return self._add_stage(ls.MatchFrames(filter, omit_empty))

    def set_field(self, field: str, expr: Any) -> DatasetView:
        """A view where ``field`` is computed by ``expr`` (evaluated on the field's parent)."""
        return self._add_stage(ls.SetField(field, expr))

    def map_labels(self, field: str, map: dict[str, Any]) -> DatasetView:
        """A view where the labels of ``field`` whose class is a key of ``map`` show its value."""
        return self._add_stage(MapLabels(field, map))

    # -- aggregations ------------------------------------------------------

    def values(self, path: str, unwind: bool = False) -> list[Any]:
        """Values of a field path per sample (``ground_truth.detections.label``: lists)."""
        return aggregations.values(self, path, unwind)

    def count(self, path: str | None = None) -> int:
        """Number of samples, or of non-``None`` values of ``path``."""
        return aggregations.count(self, path)

    def distinct(self, path: str) -> list[Any]:
        """Sorted distinct values of ``path``."""
        return aggregations.distinct(self, path)

    def count_values(self, path: str) -> dict[Any, int]:
        """``{value: count}`` of ``path``."""
        return aggregations.count_values(self, path)

    def bounds(self, path: str) -> tuple[Any, Any]:
        """``(min, max)`` of ``path``."""
        return aggregations.bounds(self, path)

    def sum(self, path: str) -> Any:
        """Sum of the numbers of ``path`` (lists unwound; booleans and ``None`` left out)."""
        return aggregations.sum_of(self, path)

    def mean(self, path: str) -> float | None:
        """Mean of the numbers of ``path`` (``None`` when there are none)."""
        return aggregations.mean(self, path)

    def std(self, path: str, sample: bool = False) -> float | None:
        """Population (or ``sample=True``) standard deviation of the numbers of ``path``."""
        return aggregations.std(self, path, sample)

    def histogram_values(
        self, path: str, bins: int = 10, range: tuple[float, float] | None = None
    ) -> tuple[list[int], list[float], int]:
        """``(counts, edges, other)`` of the numbers of ``path`` in ``bins`` equal bins over
        ``range`` (default: their bounds); ``other`` counts those outside ``range``."""
        return aggregations.histogram_values(self, path, bins, range)

    def set_values(self, path: str, values: list[Any]) -> None:
        """Set ``path`` on each sample of the view from a list aligned with ``values(path)``."""
        editing.set_values(self, path, values)

    # -- whole-collection operations ------------------------------------------

    def clone(self, name: str | None = None, persistent: bool = False) -> Dataset:
        """A new dataset with this collection's samples (and, for a dataset, its runs)."""
        return self._dataset._clone(self, name, persistent)

    def compute_metadata(self, overwrite: bool = False) -> None:
        """Read media headers into ``sample.metadata`` (only missing ones unless ``overwrite``)."""
        editing.compute_metadata(self, overwrite)

    def tag_samples(self, tags: Any) -> None:
        """Add tags to every sample of the collection."""
        editing.edit_tags(self, st.as_list(tags), add=True)

    def untag_samples(self, tags: Any) -> None:
        """Remove tags from every sample of the collection."""
        editing.edit_tags(self, st.as_list(tags), add=False)

    def tag_labels(self, tags: Any, label_fields: Any = None) -> None:
        """Add tags to the labels the collection shows in ``label_fields`` (default: all)."""
        labeltags.edit_label_tags(self, tags, label_fields, add=True)

    def untag_labels(self, tags: Any, label_fields: Any = None) -> None:
        """Remove tags from the labels the collection shows in ``label_fields``."""
        labeltags.edit_label_tags(self, tags, label_fields, add=False)

    def count_label_tags(self, label_fields: Any = None) -> dict[str, int]:
        """``{tag: count}`` of the tags of the labels in ``label_fields`` (default: all)."""
        return labeltags.count_label_tags(self, label_fields)

    # -- evaluation runs ---------------------------------------------------

    def list_evaluations(self, type: str | None = None, method: str | None = None) -> list[str]:
        """Keys of evaluation runs (``type`` matches the run config's ``"type"``)."""
        return runs.list_runs(self, "evaluation", method, **({"type": type} if type else {}))

    def has_evaluation(self, eval_key: str) -> bool:
        """Whether evaluation ``eval_key`` exists."""
        return runs.has_run(self, eval_key, "evaluation")

    @property
    def has_evaluations(self) -> bool:
        """Whether any evaluation run exists."""
        return bool(self.list_evaluations())

    def get_evaluation_info(self, eval_key: str) -> runs.RunInfo:
        """Info (key, timestamp, config, ...) of evaluation ``eval_key``."""
        return runs.get_run(self, eval_key, "evaluation")

    def load_evaluation_results(self, eval_key: str, cache: bool = True) -> Any:
        """The results object of evaluation ``eval_key``."""
        return runs.load_results(self, eval_key, cache, "evaluation")

    def load_evaluation_view(self, eval_key: str) -> DatasetView:
        """The view evaluation ``eval_key`` ran on."""
        return runs.load_view(self, eval_key, "evaluation")

    def rename_evaluation(self, eval_key: str, new_eval_key: str) -> None:
        """Rename evaluation ``eval_key``."""
        runs.rename_run(self, eval_key, new_eval_key, "evaluation")

    def delete_evaluation(self, eval_key: str) -> None:
        """Delete the record of evaluation ``eval_key``."""
        cleanup = extensions.lookup("delete_evaluation")
        if cleanup is not None:  # the evaluation layer also removes its per-label fields
            cleanup(self, eval_key)
        else:
            runs.delete_run(self, eval_key, "evaluation")

    def delete_evaluations(self) -> None:
        """Delete every evaluation record."""
        for key in self.list_evaluations():
            self.delete_evaluation(key)

    # -- annotation runs ---------------------------------------------------

    def list_annotation_runs(
        self, type: str | None = None, method: str | None = None, **kwargs: Any
    ) -> list[str]:
        """Keys of annotation runs (``method="cvat"`` filters by backend).

        ``type`` and ``kwargs`` match values of the run config.
        """
        if type is not None:
            kwargs["type"] = type
        return runs.list_runs(self, "annotation", method, **kwargs)

    @property
    def has_annotation_runs(self) -> bool:
        """Whether any annotation run exists."""
        return bool(self.list_annotation_runs())

    def has_annotation_run(self, anno_key: str) -> bool:
        """Whether annotation run ``anno_key`` exists."""
        return runs.has_run(self, anno_key, "annotation")

    def get_annotation_info(self, anno_key: str) -> runs.RunInfo:
        """Info (key, version, timestamp, config) of annotation run ``anno_key``."""
        return runs.get_run(self, anno_key, "annotation")

    def load_annotation_view(self, anno_key: str, select_fields: bool = False) -> DatasetView:
        """The view annotation run ``anno_key`` was made on.

        ``select_fields=True`` also hides fields that other annotation runs use.
        """
        view = runs.load_view(self, anno_key, "annotation")
        if not select_fields:
            return view
        own = set(_run_fields(self, anno_key))
        others = set()
        for key in self.list_annotation_runs():
            if key != anno_key:
                others.update(_run_fields(self, key))
        hidden = [f for f in sorted(others - own) if self.has_field(f)]
        return view.exclude_fields(hidden) if hidden else view

    def rename_annotation_run(self, anno_key: str, new_anno_key: str) -> None:
        """Rename annotation run ``anno_key`` (the annotation server is not touched)."""
        runs.rename_run(self, anno_key, new_anno_key, "annotation")

    def delete_annotation_run(self, anno_key: str) -> None:
        """Delete the record of annotation run ``anno_key`` (labels and server untouched)."""
        runs.delete_run(self, anno_key, "annotation")

    def delete_annotation_runs(self) -> None:
        """Delete every annotation run record."""
        runs.delete_runs(self, "annotation")

    # -- delegated to higher layers -----------------------------------------

    def evaluate_detections(
        self,
        pred_field: str,
        gt_field: str = "ground_truth",
        eval_key: str | None = None,
        classes: list[str] | None = None,
        iou: float = 0.5,
        classwise: bool = True,
        method: str = "coco",
        compute_mAP: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Match predicted to ground-truth objects (COCO style); see ``labelloop.evaluation``."""
        return extensions.call(
            "evaluate_detections",
            self,
            pred_field,
            gt_field=gt_field,
            eval_key=eval_key,
            classes=classes,
            iou=iou,
            classwise=classwise,
            method=method,
            compute_mAP=compute_mAP,
            **kwargs,
        )

    def annotate(
        self,
        anno_key: str,
        label_schema: dict[str, Any] | None = None,
        label_field: str | None = None,
        label_type: str | None = None,
        classes: list[Any] | None = None,
        attributes: Any = True,
        mask_targets: dict[Any, str] | None = None,
        allow_additions: bool = True,
        allow_deletions: bool = True,
        allow_label_edits: bool = True,
        allow_index_edits: bool = True,
        allow_spatial_edits: bool = True,
        media_field: str = "filepath",
        backend: str | None = None,
        launch_editor: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Send the samples and labels to an annotation backend; see ``labelloop.annotation``."""
        return extensions.call(
            "annotate",
            self,
            anno_key,
            label_schema=label_schema,
            label_field=label_field,
            label_type=label_type,
            classes=classes,
            attributes=attributes,
            mask_targets=mask_targets,
            allow_additions=allow_additions,
            allow_deletions=allow_deletions,
            allow_label_edits=allow_label_edits,
            allow_index_edits=allow_index_edits,
            allow_spatial_edits=allow_spatial_edits,
            media_field=media_field,
            backend=backend,
            launch_editor=launch_editor,
            **kwargs,
        )

    def load_annotations(
        self,
        anno_key: str,
        dest_field: Any = None,
        unexpected: Any = "prompt",
        cleanup: bool = False,
        progress: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        """Merge the annotations of run ``anno_key`` back into the dataset."""
        return extensions.call(
            "load_annotations",
            self,
            anno_key,
            dest_field=dest_field,
            unexpected=unexpected,
            cleanup=cleanup,
            progress=progress,
            **kwargs,
        )

    def load_annotation_results(self, anno_key: str, cache: bool = True, **kwargs: Any) -> Any:
        """The backend results object of annotation run ``anno_key``."""
        return extensions.call("load_annotation_results", self, anno_key, cache=cache, **kwargs)

    def export(
        self,
        export_dir: str | None = None,
        dataset_type: Any = None,
        label_field: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """Write the collection to disk in a dataset format; see ``labelloop.formats``."""
        return extensions.call(
            "export",
            self,
            export_dir=export_dir,
            dataset_type=dataset_type,
            label_field=label_field,
            **kwargs,
        )


def _run_fields(collection: SampleCollection, key: str) -> list[str]:
    config = runs.get_run(collection, key, "annotation").config
    schema = config.get("label_schema") or {}
    return [f for f in schema if f]
