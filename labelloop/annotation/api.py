"""``annotate()``, ``load_annotations()`` and friends, registered as collection methods.

The order of ``annotate`` is what makes failures clean: every argument and the
whole label schema are validated first, then the backend uploads, and only
after a successful upload is the run recorded (config without credentials,
the serialised view, the results). A failed upload calls the backend's
``abort_upload`` hook and leaves no run behind.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from labelloop.annotation import views
from labelloop.annotation.base import AnnotationAPI, AnnotationBackend, AnnotationResults
from labelloop.annotation.collection import CollectionSource, field_spec
from labelloop.annotation.diff import CONFLICT_MODES
from labelloop.annotation.merge import MergeConflictError, Merger, MergeReport, resolve_dest
from labelloop.annotation.merge_base import RunBase, record_base
from labelloop.annotation.registry import build_config
from labelloop.annotation.schema import build_label_schema
from labelloop.annotation.unexpected import UnexpectedLabels
from labelloop.core import runs
from labelloop.core.extensions import implements
from labelloop.interrupts import deferred_interrupt
from labelloop.progress import bar

logger = logging.getLogger(__name__)

RUN_TYPE = "annotation"


@implements("annotate")
def annotate(
    samples: Any,
    anno_key: str,
    label_schema: dict[str, Any] | list[str] | None = None,
    label_field: str | Sequence[str] | None = None,
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
    backend: str | type | None = None,
    launch_editor: bool = False,
    **kwargs: Any,
) -> AnnotationResults:
    """Send ``samples`` (and the schema's existing labels) to an annotation backend.

    ``label_field`` names one field, or several that share ``label_type``,
    ``classes`` and ``attributes``. ``kwargs`` are backend parameters and
    credentials. Returns the backend's
    results; the run is recorded under ``anno_key`` only once the upload succeeded.
    """
    runs.validate_key(anno_key)
    dataset = samples.dataset
    if runs.has_run(dataset, anno_key):
        raise ValueError(
            f"An annotation or evaluation run with key {anno_key!r} already exists on dataset "
            f"{dataset.name!r}; choose another key or delete_annotation_run({anno_key!r})"
        )
    if len(samples) == 0:
        raise ValueError(f"{samples._describe()} is empty; there is nothing to annotate")
    samples = views.upload_collection(samples)  # patches: their source images and labels
    if not isinstance(launch_editor, bool):
        raise ValueError(f"launch_editor must be True or False, not {launch_editor!r}")
    if not isinstance(media_field, str) or not media_field:
        raise ValueError(f"media_field must be a field name, not {media_field!r}")
    if media_field != "filepath" and field_spec(samples, media_field) is None:
        raise ValueError(
            f"media_field={media_field!r} is not a field of {samples._describe()}; pass the name "
            "of the field that holds the paths of the media to upload"
        )
    config = build_config(backend, None, media_field=media_field, **kwargs)
    backend_obj = config.build_backend()
    config.label_schema = build_label_schema(
        CollectionSource(samples),
        backend_obj,
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
    )
    logger.info("Annotation run %r: sending %d samples to %r", anno_key, len(samples), config.name)
    logger.debug("Annotation run %r config: %r", anno_key, config)
    results = None
    try:
        results = backend_obj.upload_annotations(samples, anno_key, launch_editor=launch_editor)
        with deferred_interrupt(f"recording run {anno_key!r}"):
            views.finalize_id_map(samples, results.id_map)
            record_run(samples, anno_key, results)
    except BaseException as err:
        if results is None:
            _abort(backend_obj, samples, anno_key, err)
        else:
            logger.error(
                "Recording run %r failed; deleting what it created on the backend", anno_key
            )
            results.cleanup()
        raise
    return results


def record_run(samples: Any, anno_key: str, results: AnnotationResults) -> None:
    """Register run ``anno_key`` of ``samples`` with ``results`` (all or nothing).

    ``annotate()`` calls this after a successful upload; an importer that
    builds results for existing server work calls it before ``load_annotations``.
    """
    dataset = samples.dataset
    config = results.config
    with dataset.transaction():
        runs.register_run(samples, RUN_TYPE, anno_key, config.serialize(), method=config.name)
        runs.save_results(dataset, anno_key, results)
        # the merge base: what was sent, so loads tell annotators' changes from local ones
        # (runs on frames/clips views merge through their videos, without one)
        if views.FRAMES in results.id_map or views.CLIPS in results.id_map:
            return
        record_base(
            samples,
            anno_key,
            config.label_schema or {},
            results.id_map,
            results.backend.spatial_attributes,
        )


def _abort(backend: Any, samples: Any, anno_key: str, error: BaseException) -> None:
    try:
        backend.abort_upload(samples, anno_key, error)
    except Exception:
        logger.exception("Cleaning up after the failed upload of run %r also failed", anno_key)


@implements("load_annotation_results")
def load_annotation_results(
    samples: Any, anno_key: str, cache: bool = True, **credentials: Any
) -> AnnotationResults:
    """The results of run ``anno_key`` (the same object while cached).

    ``credentials`` (e.g. ``username``, ``password``, ``url``) apply to this
    session only; the run's stored URL is used unless ``url`` is given.
    """
    dataset = samples.dataset
    runs.get_run(dataset, anno_key, RUN_TYPE)  # ValueError naming the key if absent
    results = runs.load_results(dataset, anno_key, cache=cache, type=RUN_TYPE)
    if results is None:
        raise ValueError(f"Annotation run {anno_key!r} has no stored results")
    results._anno_key = anno_key  # the run may have been renamed since it was cached
    if views.FRAMES in results.id_map or views.CLIPS in results.id_map:
        results._samples = runs.load_view(dataset, anno_key, RUN_TYPE)  # frames are images
    results.config.update_credentials(**credentials)
    return results


@implements("load_annotations")
def load_annotations(
    samples: Any,
    anno_key: str,
    dest_field: str | dict[str, str] | None = None,
    unexpected: Any = "prompt",
    cleanup: bool = False,
    progress: bool | None = None,
    dry_run: bool = False,
    conflicts: str = "cvat",
    **credentials: Any,
) -> Any:
    """Download run ``anno_key`` and merge it into the dataset in one transaction.

    A three-way merge: for each label, what the run sent (its base), what CVAT
    holds now and what the dataset holds now. Only what annotators changed is
    applied, local edits are kept, and where both changed the same thing
    differently (or one deleted what the other edited) ``conflicts`` decides:
    ``"cvat"`` (default), ``"dataset"``, or ``"error"`` (refuse the whole load
    before writing; :class:`MergeConflictError`). Nothing that could not be read
    is deleted.

    Returns the :class:`MergeReport` (counts, itemised changes, conflicts,
    refusals and skipped tasks/jobs per field); with ``unexpected="return"``
    returns the unexpected labels (or ``None``) as the reference API does.
    ``dry_run=True`` writes nothing and returns the report of what would change.
    """
    dataset = samples.dataset
    if conflicts not in CONFLICT_MODES:
        raise ValueError(f"conflicts must be one of {list(CONFLICT_MODES)}, not {conflicts!r}")
    results = load_annotation_results(dataset, anno_key, **credentials)
    report, handler = merge_results(
        results,
        dest_field,
        unexpected,
        dry_run=dry_run,
        progress=bool(progress),
        conflicts=conflicts,
    )
    if dry_run:
        return report
    logger.info("Annotation run %r merged: %s", anno_key, _summary(report))
    for name, by_type in report.unexpected.items():
        for return_type, what in by_type.items():
            logger.info(
                "Field %r: %d unexpected %r label(s) %s",
                name,
                what["labels"],
                return_type,
                what["action"],
            )
    _log_refusals(report)
    try:
        if cleanup:
            results.cleanup()
    finally:  # after cleanup, so the stored run never lists deleted server objects
        runs.save_results(dataset, anno_key, results)
    if handler.mode == "return":
        return handler.returned or None
    return report


def merge_results(
    results: AnnotationResults,
    dest_field: Any = None,
    unexpected: Any = "ignore",
    dry_run: bool = False,
    progress: bool = False,
    conflicts: str = "cvat",
) -> tuple[MergeReport, UnexpectedLabels]:
    """Merge (or with ``dry_run`` only diff) ``results``' download into its dataset.

    Arguments are checked before anything is downloaded. All writes happen in
    one ``dataset.transaction()``; a backend that streams (overrides
    ``iter_annotations``) is read inside it, others are downloaded first so no
    network call holds the database's write lock.
    """
    dataset = results.samples.dataset
    schema = results.config.label_schema or {}
    frames_run = None
    if views.FRAMES in results.id_map:
        frames_run = views.FramesRun(dataset, results.id_map)
    if frames_run is not None:  # merged as the videos' frame fields
        schema = frames_run.schema(schema)
    dests = resolve_dest(dataset, schema, dest_field)
    handler = UnexpectedLabels(unexpected, dataset, schema, dry_run)
    backend = results.backend

    # runs on frames/clips views merge through their videos without a base (two-way)
    derived = views.FRAMES in results.id_map or views.CLIPS in results.id_map
    legacy = derived or not RunBase.exists(dataset, results.anno_key)
    if legacy and not derived:
        logger.warning(
            "Annotation run %r was recorded before runs kept what they sent (their merge base): "
            "this load compares CVAT with the dataset as it is now, so local edits made since "
            "annotate() may be replaced by CVAT's values; later loads of the run are three-way",
            results.anno_key,
        )

    def merger_for(id_map: dict[str, Any]) -> Merger:
        if frames_run is not None:
            id_map = frames_run.to_videos(id_map)
        return Merger(
            dataset,
            schema,
            id_map,
            dests,
            handler,
            backend.spatial_attributes,
            dry_run,
            base=None if derived else RunBase(dataset, results.anno_key),
            conflicts=conflicts,
            legacy=legacy,
        )

    chunks: Any = backend.iter_annotations(results)
    if type(backend).iter_annotations is AnnotationBackend.iter_annotations:
        # not a streaming backend: download everything before taking the write lock
        chunks = list(chunks)
    if frames_run is not None:
        chunks = frames_run.chunks(chunks)
    elif views.CLIPS in results.id_map:
        chunks = views.combine_chunks(chunks)  # a video's clips merge as one
    if progress:
        # the run's samples (derived views regroup chunks: their count is not known here)
        total = (
            None
            if frames_run is not None or views.CLIPS in results.id_map
            else len(
                {
                    sample_id
                    for by_sample in results.id_map.values()
                    if isinstance(by_sample, dict)
                    for sample_id in by_sample
                    if not str(sample_id).startswith("_")
                }
            )
        )
        chunks = bar(chunks, total=total, desc=f"Merging {results.anno_key}", unit="sample")
    if dry_run:
        report = merger_for(results.id_map).run(chunks)
        _log_conflicts(report)
        return report, handler
    previous = results.id_map
    try:
        with dataset.transaction():
            # another process's load of this run may have committed while this one
            # downloaded: merge against the id_map stored now, under the write lock
            merger = merger_for(_stored_id_map(dataset, results))
            report = merger.run(chunks)
            _log_conflicts(report)
            if conflicts == "error" and merger.conflicts:
                raise MergeConflictError(report)  # rolls the whole merge back
            # the new id_map commits with the labels it describes: a process killed
            # after the merge never leaves merged labels a re-run would not recognise
            new_map = merger.id_map  # destination-field runs leave it as it was
            results.id_map = new_map if frames_run is None else frames_run.to_frames(new_map)
            runs.save_results(dataset, results.anno_key, results)
    except BaseException:
        results.id_map = previous
        raise
    return report, handler


def _stored_id_map(dataset: Any, results: AnnotationResults) -> dict[str, Any]:
    if not runs.has_run(dataset, results.anno_key, RUN_TYPE):
        return results.id_map
    stored = runs.load_results(dataset, results.anno_key, type=RUN_TYPE)
    return results.id_map if stored is None else stored.id_map


@implements("diff_annotations")
def diff_annotations(results: AnnotationResults, dest_field: Any = None) -> MergeReport:
    """What ``load_annotations`` would change, without writing anything."""
    return merge_results(results, dest_field, "ignore", dry_run=True)[0]


def _summary(report: MergeReport) -> str:
    return "; ".join(
        f"{name}: +{d.added} -{d.deleted} ~{d.edited}" for name, d in report.fields.items()
    )


def _log_conflicts(report: MergeReport) -> None:
    for name, diff in report.fields.items():
        for item in diff.conflicts:
            logger.warning(
                "Field %r, sample %s%s%s: %s (%s); kept %s's side",
                name,
                item.sample_id,
                f" frame {item.frame}" if item.frame is not None else "",
                f" label {item.label_id}" if item.label_id else "",
                item.reason,
                ", ".join(
                    f"{k}: dataset {v[0]!r} / CVAT {v[1]!r}" for k, v in item.changes.items()
                ),
                "CVAT" if item.resolution == "cvat" else "the dataset",
            )


def _log_refusals(report: MergeReport) -> None:
    for name, diff in report.fields.items():
        counts = diff.refused_counts()
        if counts:
            shown = ", ".join(f"{n} {reason}" for reason, n in sorted(counts.items()))
            logger.warning(
                "Field %r: refused %d change(s) the run does not allow: %s",
                name,
                len(diff.refused),
                shown,
            )


def connect_to_api(backend: str | type | None = None, **kwargs: Any) -> AnnotationAPI:
    """An API object of ``backend`` (default backend if ``None``) for direct use."""
    config = build_config(backend, None, **kwargs)
    api = config.build_backend().connect_to_api()
    if api is None:
        raise ValueError(f"Annotation backend {config.name!r} has no API to connect to")
    return api
