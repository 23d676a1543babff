"""The merge engine: apply a run's download to the dataset, one sample at a time.

It consumes the backend's per-sample stream, diffs every field of the schema
against the run's ``id_map`` (:mod:`labelloop.annotation.diff`), routes
unexpected labels, and writes through ``sample.save()``. The caller wraps it
in one ``dataset.transaction()`` so a failure anywhere leaves the dataset as it
was; with ``dry_run=True`` nothing is written and the report says what would
change.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from labelloop.annotation.base import SampleChunk, Skip, skips_of
from labelloop.annotation.collection import field_spec, get_value, split_path
from labelloop.annotation.diff import (
    Change,
    FieldDiff,
    Location,
    ThreeWay,
    same,
    uploaded_ids,
)
from labelloop.annotation.merge_base import RunBase
from labelloop.annotation.schema import LABEL_TYPES, RETURN_TYPES
from labelloop.annotation.unexpected import UnexpectedLabels
from labelloop.core.labels import LIST_LABELS, Label
from labelloop.core.sample import Frame

logger = logging.getLogger(__name__)

BATCH_SIZE = 200
#: frames of one video merged (and, when changed, written) together
FRAME_RANGE = 500
_UNCHANGED = object()
_CLASSIFICATION_TYPES = {"classification", "classifications"}


@dataclass
class MergeReport:
    """What a merge changed (or, for a dry run, would change) per field."""

    dry_run: bool
    fields: dict[str, FieldDiff] = field(default_factory=dict)
    unexpected: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    missing_samples: int = 0
    #: what could not be read (so was left as it is): source, reason, frames, sample ids
    skipped: list[dict[str, Any]] = field(default_factory=list)

    def add_skip(self, sample_id: str, skip: Skip) -> None:
        """Record that (part of) a sample was left as it is because it could not be read."""
        frames = list(skip.frames) if skip.frames is not None else None
        for entry in self.skipped:
            if (entry["source"], entry["reason"], entry["frames"]) == (
                skip.source,
                skip.reason,
                frames,
            ):
                if sample_id not in entry["samples"]:
                    entry["samples"].append(sample_id)
                return
        self.skipped.append(
            {"source": skip.source, "reason": skip.reason, "frames": frames, "samples": [sample_id]}
        )

    @property
    def refused(self) -> list[Any]:
        """Every refused change (field, sample, frame, label id, reason)."""
        return [r for diff in self.fields.values() for r in diff.refused]

    def to_dict(self) -> dict[str, Any]:
        """Counts per field, refusals by reason, unexpected labels and what happened to them,
        what was skipped, and the itemised review per field (``items``)."""
        return {
            "dry_run": self.dry_run,
            "fields": {name: diff.to_dict() for name, diff in self.fields.items()},
            "unexpected": self.unexpected,
            "missing_samples": self.missing_samples,
            "skipped": self.skipped,
            "items": {
                name: [c.to_dict() for c in diff.items] for name, diff in self.fields.items()
            },
            "items_left_out": {
                name: diff.items_left_out
                for name, diff in self.fields.items()
                if diff.items_left_out
            },
        }

    def __repr__(self) -> str:
        return json.dumps(self.to_dict(), indent=4)


class MergeConflictError(ValueError):
    """``conflicts="error"`` and the annotators' changes conflict with local edits: nothing
    was written; ``report`` lists every conflict."""

    def __init__(self, report: MergeReport) -> None:
        conflicts = [c for d in report.fields.values() for c in d.conflicts]
        shown = "; ".join(
            f"{c.field} sample {c.sample_id}"
            + (f" frame {c.frame}" if c.frame is not None else "")
            + (f" label {c.label_id}" if c.label_id else "")
            + f": {c.reason} ({', '.join(c.changes)})"
            for c in conflicts[:5]
        )
        more = f" and {len(conflicts) - 5} more" if len(conflicts) > 5 else ""
        super().__init__(
            f"{len(conflicts)} conflict(s) between CVAT and local edits: {shown}{more}. "
            "Nothing was loaded; review them with dry_run=True, then load with "
            "conflicts='cvat' or conflicts='dataset'"
        )
        self.report = report


def expected_types(spec: dict[str, Any]) -> set[str]:
    """Return types that belong to a schema field."""
    return_type = RETURN_TYPES[spec["type"]]
    return _CLASSIFICATION_TYPES if return_type in _CLASSIFICATION_TYPES else {return_type}


def resolve_dest(samples: Any, schema: dict[str, Any], dest_field: Any) -> dict[str, str]:
    """``{schema field: field written}`` from ``dest_field`` (checked before downloading)."""
    if dest_field is None:
        return {name: name for name in schema}
    if isinstance(dest_field, str):
        if len(schema) != 1:
            raise ValueError(
                f"dest_field as a string needs a single-field run, but this run has fields "
                f"{sorted(schema)}; pass a dict {{field: dest}} instead"
            )
        dest_field = {next(iter(schema)): dest_field}
    if not isinstance(dest_field, dict):
        raise ValueError(f"dest_field must be a field name or a dict, not {dest_field!r}")
    unknown = sorted(set(dest_field) - set(schema))
    if unknown:
        raise ValueError(
            f"dest_field names {unknown}, which are not fields of this run ({sorted(schema)})"
        )
    out = {name: name for name in schema}
    for name, dest in dest_field.items():
        if not isinstance(dest, str) or not dest:
            raise ValueError(f"dest_field[{name!r}] must be a field name, not {dest!r}")
        source_frame = split_path(name)[0]
        if source_frame and not dest.startswith("frames."):
            dest = f"frames.{dest}"
        if split_path(dest)[0] != source_frame:
            raise ValueError(
                f"dest_field[{name!r}] = {dest!r}: a sample-level field cannot load into a "
                "frame-level field"
            )
        if dest != name and dest in schema:
            raise ValueError(f"dest_field[{name!r}] = {dest!r} is another field of this run")
        _check_dest_kind(samples, name, dest, schema[name])
        out[name] = dest
    if len(set(out.values())) != len(out):
        raise ValueError(f"dest_field sends several fields to one destination: {out}")
    return out


def _check_dest_kind(samples: Any, name: str, dest: str, spec: dict[str, Any]) -> None:
    declared = field_spec(samples, dest)
    if declared is None or dest == name:
        return
    cls = LABEL_TYPES[spec["type"]]
    ok = declared.get("cls") == cls.__name__ if cls else declared.get("kind") != "label"
    if not ok:
        raise ValueError(
            f"dest_field[{name!r}] = {dest!r} holds {declared.get('cls') or declared.get('kind')} "
            f"values, but this run's {spec['type']!r} labels need another field"
        )


class Merger:
    """One merge of one run into its dataset."""

    def __init__(
        self,
        dataset: Any,
        schema: dict[str, Any],
        id_map: dict[str, Any],
        dests: dict[str, str],
        unexpected: UnexpectedLabels,
        spatial_attrs: tuple[str, ...] = (),
        dry_run: bool = False,
        base: RunBase | None = None,
        conflicts: str = "cvat",
        legacy: bool = False,
    ) -> None:
        self._dataset = dataset
        self._schema = schema
        self._dests = dests
        self._unexpected = unexpected
        self._rules = ThreeWay(conflicts, spatial_attrs)
        self._dry_run = dry_run
        self._base = base
        #: a run without a stored base: the dataset's labels stand in for it, and this
        #: load (if it writes) gives the run its base
        self._legacy = legacy or base is None
        self._base_rows: list[tuple[str, int, dict[str, Any]]] = []
        self._sample_bases: dict[str, dict[str, Any]] = {}
        self.id_map = copy.deepcopy(id_map)
        self.report = MergeReport(dry_run, {name: FieldDiff() for name in schema})
        self._dirty = False
        self._skips: list[Skip] = []
        self._taken = {name: _all_ids(self.id_map.get(name, {})) for name in schema}
        for ids in self._taken.values():
            unexpected.taken |= ids

    def run(self, chunks: Iterable[SampleChunk]) -> MergeReport:
        """Merge every chunk, then the run's samples the download did not mention."""
        done: set[str] = set()
        # a video chunk holds a whole video's download: merge those one at a time
        size = 1 if self._dataset.media_type == "video" else BATCH_SIZE
        for batch in _batches(iter(chunks), size):
            self._merge_batch(batch)
            done.update(sid for sid, _ in batch)
        rest = [sid for sid in _run_samples(self.id_map, self._schema) if sid not in done]
        for batch in _batches(((sid, {}) for sid in rest), size):
            self._merge_batch(batch)
        self.report.unexpected = self._unexpected.summary
        self._flush_base()
        if self._legacy and self._base is not None and not self._dry_run:
            if any(self._writes_base(name) for name in self._schema):
                self._base.mark()
        return self.report

    @property
    def conflicts(self) -> list[Change]:
        """Every conflict of this merge."""
        return [c for diff in self.report.fields.values() for c in diff.conflicts]

    def _writes_base(self, name: str) -> bool:
        return self._base is not None and not self._dry_run and self._dests[name] == name

    def _flush_base(self) -> None:
        if self._base is not None and self._base_rows:
            self._base.write(self._base_rows)
        self._base_rows = []

    def _merge_batch(self, batch: list[SampleChunk]) -> None:
        ids = [sid for sid, _ in batch]
        samples = {s.id: s for s in self._dataset.select(ids).iter_samples()}
        self._sample_bases = self._base.samples(ids) if self._base is not None else {}
        for sample_id, chunk in batch:
            sample = samples.pop(sample_id, None)  # released once merged
            if sample is None:
                self.report.missing_samples += 1
                logger.warning(
                    "Sample %s of the run is no longer in the dataset; skipped", sample_id
                )
                continue
            if self._merge_sample(sample, chunk) and not self._dry_run:
                sample.save()
        self._flush_base()

    def _merge_sample(self, sample: Any, chunk: dict[str, dict[str, Any]]) -> bool:
        """Merge one sample's chunk; whether anything was written to it. What could not
        be read (the chunk's skips) is left exactly as it is."""
        self._dirty = False
        skips = skips_of(chunk)
        for skip in skips:
            self.report.add_skip(sample.id, skip)
        if any(skip.frames is None for skip in skips):
            return False
        self._skips = skips
        old_doc = self._sample_bases.get(sample.id, {})
        base_doc = dict(old_doc)
        for name, spec in self._schema.items():
            by_type = chunk.get(name, {})
            expected = set() if spec.get("unnamed") else expected_types(spec)
            value: Any = None
            for return_type, got in by_type.items():
                if return_type not in expected:
                    self._dirty |= self._unexpected.handle(sample, name, return_type, got)
                elif value is None or not isinstance(got, dict):
                    value = got
                else:  # both classification and classifications: one set of labels
                    value = _union(name, value, got)
            entries = self.id_map.get(name, {})
            if sample.id not in entries and value is None:
                continue
            if split_path(name)[0]:
                synced = self._merge_frames(sample, name, spec, entries.get(sample.id), value)
                if self._dests[name] == name:
                    entries[sample.id] = synced
            else:
                synced_entry, new, new_base = self._merge_at(
                    sample,
                    sample,
                    name,
                    spec,
                    None,
                    entries.get(sample.id),
                    value,
                    old_doc.get(name),
                )
                if new is not _UNCHANGED:
                    sample[split_path(self._dests[name])[1]] = new
                    self._dirty = True
                if self._dests[name] == name:
                    entries[sample.id] = synced_entry
                if self._writes_base(name):
                    base_doc[name] = new_base
            self.id_map[name] = entries
        if not same(base_doc, old_doc):
            self._base_rows.append((sample.id, 0, base_doc))
        return self._dirty

    def _merge_frames(
        self, sample: Any, name: str, spec: dict[str, Any], uploaded: Any, downloaded: Any
    ) -> dict[int, Any]:
        """Merge a frame field one range of frames at a time: each range is read without
        keeping its frames, and only a range that changed is written (then released), so
        memory holds one range of one video whatever the size of the run."""
        uploaded, downloaded = uploaded or {}, downloaded or {}
        frames = sorted(set(uploaded) | set(downloaded))
        synced: dict[int, Any] = {}
        for offset in range(0, len(frames), FRAME_RANGE):
            window = frames[offset : offset + FRAME_RANGE]
            wanted = set(window)
            stored = {
                frame.frame_number: frame
                for frame in sample.frames.iter_frames(window[0], window[-1])
                if frame.frame_number in wanted
            }
            bases = self._base.frames(sample.id, window[0], window[-1]) if self._base else {}
            changed: dict[int, Any] = {}
            for number in window:
                if any(skip.covers(number) for skip in self._skips):
                    stored.pop(number, None)  # not read: left as it is, id_map entry too
                    if number in uploaded:
                        synced[number] = uploaded[number]
                    continue
                doc = stored.pop(number, None)
                if doc is None:  # no such frame yet: merged against an empty one
                    doc = Frame()
                old_doc = bases.get(number, {})
                synced[number], new, new_base = self._merge_at(
                    sample,
                    doc,
                    name,
                    spec,
                    number,
                    uploaded.get(number),
                    downloaded.get(number),
                    old_doc.get(name),
                )
                if new is not _UNCHANGED:
                    changed[number] = new
                if self._writes_base(name) and not same(old_doc.get(name), new_base):
                    self._base_rows.append((sample.id, number, {**old_doc, name: new_base}))
            if changed and not self._dry_run:
                self._write_frames(sample, split_path(self._dests[name])[1], changed)
            self._flush_base()
        return synced

    @staticmethod
    def _write_frames(sample: Any, field_name: str, values: dict[int, Any]) -> None:
        """Set ``field_name`` on some frames of one range and write that range now."""
        for number in values:
            if number not in sample.frames:
                sample.frames[number]  # a new frame, written with its range below
        numbers = sorted(values)
        for frame in sample.frames.iter_frames(numbers[0], numbers[-1], autosave=True):
            if frame.frame_number in values:
                frame[field_name] = values[frame.frame_number]

    def _merge_at(
        self,
        sample: Any,
        doc: Any,
        name: str,
        spec: dict[str, Any],
        frame: int | None,
        entry: Any,
        down: Any,
        base: Any,
    ) -> tuple[Any, Any, Any]:
        """Merge one location (``doc`` is the sample or the frame): its new ``id_map``
        entry, the value to write there (``_UNCHANGED`` when nothing is written) and its
        new base. ``base`` is the stored base entry (``None`` when there is none)."""
        dest = self._dests[name]
        current = get_value(doc, split_path(name)[1])
        where = Location(name, sample.id, frame)
        diff = self.report.fields[name]
        if spec["type"] == "scalar":
            if self._legacy:  # no base: what was sent is what the dataset holds now
                base_value = current if entry is not None or down is not None else None
            else:
                base_value = (base or {}).get("value")
            new, new_base_value = self._rules.scalar(where, spec, current, down, base_value, diff)
            new_entry: Any = None if new_base_value is None else True
            new_base: Any = {"value": new_base_value}
        else:
            label_base = None if self._legacy else base or {}
            new, new_base = self._rules.labels(
                where,
                spec,
                current,
                down or {},
                label_base,
                uploaded_ids(entry),
                self._taken[name],
                diff,
            )
            synced = list(new_base)
            if LABEL_TYPES[spec["type"]] in LIST_LABELS:
                new_entry = synced
            else:
                new_entry = synced[0] if synced else None
        if dest != name and isinstance(new, Label):
            # the destination's own copy, with the ids of the labels it came from: label ids
            # are unique per field, so before/after fields join by id
            new = new.copy()
        if self._dry_run or (dest == name and new is current):
            return new_entry, _UNCHANGED, new_base
        return new_entry, new, new_base


def _union(name: str, a: Any, b: Any) -> Any:
    if split_path(name)[0]:
        out = {f: dict(v) for f, v in a.items()}
        for f, v in b.items():
            out.setdefault(f, {}).update(v)
        return out
    return {**a, **b}


def _all_ids(entries: dict[str, Any]) -> set[str]:
    out: set[str] = set()
    for entry in entries.values():
        if isinstance(entry, dict):
            for per_frame in entry.values():
                out.update(uploaded_ids(per_frame))
        else:
            out.update(uploaded_ids(entry))
    return out


def _run_samples(id_map: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    seen: dict[str, None] = {}
    for name in schema:
        seen.update(dict.fromkeys(id_map.get(name, {})))
    return list(seen)


def _batches(items: Iterator[SampleChunk], size: int) -> Iterator[list[SampleChunk]]:
    while batch := list(islice(items, size)):
        yield batch
