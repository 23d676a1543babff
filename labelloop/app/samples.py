"""The paged sample API: grid pages, one sample in full, frame labels of a video.

A page never walks the whole view: the filtered view's ids are listed once
(cached per version and filters) and a page loads only its own samples with
a leading ``select`` stage, which the core answers straight from the store.
Stages that shape labels or fields are re-applied to the page so it shows
exactly what the view shows.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from labelloop.app.schema import label_fields
from labelloop.app.serialize import is_label, jsonable, label_to_json
from labelloop.app.state import AppState

#: Largest page the API hands out.
MAX_PAGE = 200
#: Largest frame range one request returns.
MAX_FRAMES = 1000
#: View stages that change what a sample shows (not which samples): re-applied to pages.
_SHAPING_STAGES = {"FilterLabels", "SelectLabels", "ExcludeLabels", "SelectFields", "ExcludeFields"}
_BUILTIN = {"id", "filepath", "tags", "metadata"}


def page(state: AppState, filters: dict[str, Any], offset: int, limit: int) -> dict[str, Any]:
    """``{"total", "offset", "samples"}`` for grid cells ``offset .. offset+limit-1``."""
    if offset < 0:
        raise ValueError(f"offset must be >= 0, got {offset}")
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit must be between 1 and {MAX_PAGE}, got {limit}")
    view, ids = state.sample_ids(filters)
    wanted = ids[offset : offset + limit]
    fields = [f["name"] for f in label_fields(view)]
    samples = [sample_json(s, fields, detail=False) for s in _load(view, wanted)]
    return {"total": len(ids), "offset": offset, "samples": samples}


def sample_detail(state: AppState, filters: dict[str, Any], sample_id: str) -> dict[str, Any]:
    """One sample with every field, for the sample view (``KeyError`` when not in the view)."""
    view, sample = _one(state, filters, sample_id)
    fields = [f["name"] for f in label_fields(view)]
    out = sample_json(sample, fields, detail=True)
    meta = sample.metadata
    out["metadata"] = meta.to_dict() if meta is not None else None
    out["scalars"] = {
        name: jsonable(sample[name])
        for name in sample.field_names
        if name not in _BUILTIN and not is_label(sample[name])
    }
    if sample.media_type == "video":
        out["frame_rate"] = getattr(meta, "frame_rate", None) if meta is not None else None
        out["frame_count"] = (
            getattr(meta, "total_frame_count", None) if meta is not None else None
        ) or (max(sample.frames.keys()) if len(sample.frames) else None)
        out["frame_fields"] = [f for f in fields if f.startswith("frames.")]
    return out


def frames(
    state: AppState, filters: dict[str, Any], sample_id: str, start: int, stop: int
) -> dict[str, Any]:
    """Frame labels of a video sample for frames ``start..stop`` (1-based, inclusive)."""
    if start < 1 or stop < start:
        raise ValueError(f"need 1 <= start <= stop, got start={start} stop={stop}")
    if stop - start + 1 > MAX_FRAMES:
        raise ValueError(f"at most {MAX_FRAMES} frames per request; narrow start..stop")
    view, sample = _one(state, filters, sample_id)
    names = [f["name"][len("frames.") :] for f in label_fields(view) if f["frame"]]
    out: dict[str, Any] = {}
    if sample.media_type == "video":
        for frame in sample.frames.iter_frames(start=start, stop=stop):
            out[str(frame.frame_number)] = _frame_labels(sample.id, frame, names, detail=True)
    return {"sample_id": sample_id, "frames": out}


def sample_json(sample: Any, fields: list[str], detail: bool) -> dict[str, Any]:
    """A sample as the grid/sample view draws it: media URLs, tags and label drawables."""
    quoted = quote(sample.filepath)
    out = {
        "id": sample.id,
        "filepath": sample.filepath,
        "media_type": sample.media_type,
        "tags": list(sample.tags or []),
        "media_url": f"/media?filepath={quoted}",
        "thumb_url": f"/thumb?filepath={quoted}",
        "fields": {},
    }
    for name in fields:
        if name.startswith("frames.") or not sample.has_field(name):
            continue
        out["fields"][name] = _drawables(sample.id, name, sample[name], detail, None)
    if not detail and sample.media_type == "video":
        frame_names = [n[len("frames.") :] for n in fields if n.startswith("frames.")]
        first = min(sample.frames.keys(), default=1)  # a clip starts at its support
        for frame in sample.frames.iter_frames(start=first, stop=first):
            out["fields"].update(_frame_labels(sample.id, frame, frame_names, detail=False))
    return out


def _frame_labels(sample_id: str, frame: Any, names: list[str], detail: bool) -> dict[str, Any]:
    out = {}
    for name in names:
        if frame.has_field(name):
            value = frame[name]
            out[f"frames.{name}"] = _drawables(
                sample_id, f"frames.{name}", value, detail, frame.frame_number
            )
    return out


def _drawables(
    sample_id: str, field: str, value: Any, detail: bool, frame: int | None
) -> list[dict[str, Any]]:
    if not is_label(value):
        return []
    items = label_to_json(value, detail=detail)
    for item in items:
        if item["type"] == "segmentation":
            url = f"/api/mask?sample={sample_id}&field={quote(field)}"
            item["url"] = url + (f"&frame={frame}" if frame is not None else "")
    return items


def _one(state: AppState, filters: dict[str, Any], sample_id: str) -> tuple[Any, Any]:
    """``(filtered view, sample)``; ``KeyError`` when the sample is not in that view."""
    view, ids = state.sample_ids(filters)
    if sample_id not in ids:
        raise KeyError(f"sample {sample_id!r} is not in the current view")
    return view, _load(view, [sample_id])[0]


def _load(view: Any, ids: list[str]) -> list[Any]:
    """The samples ``ids`` as ``view`` shows them, in that order, reading only those."""
    if not ids:
        return []
    if view._is_derived:  # patches/frames/clips: ids are the view's own, not the dataset's
        return list(view.select(ids, ordered=True))
    dataset = view.dataset
    shaping = [s for s in view._serialize() if s["_cls"] in _SHAPING_STAGES]
    page_view = dataset.select(ids, ordered=True)
    if shaping:
        page_view = dataset._load_view(page_view._serialize() + shaping)
    return list(page_view)
