"""Task and job annotations: validation, ids, storage and frame-range views.

A task's annotations are rows of ``objects`` (one per tag, shape or track,
holding its JSON). A job is a frame range over its task: it sees the tags and
shapes on its frames and the parts of tracks that overlap them (a track that
enters the range alive gets an interpolated keyframe at the range start, as
CVAT's slicing does). Writes through a job only touch that range, so other
jobs' work on a shared track survives.
"""

from __future__ import annotations

import json
import math
from typing import Any

from labelloop.testing.cvat_server.labelspec import LabelSpec
from labelloop.testing.cvat_server.store import Store, dumps
from labelloop.testing.cvat_server.web import ApiError

KINDS = ("tags", "shapes", "tracks")
SHAPE_TYPES = (
    "rectangle",
    "polygon",
    "polyline",
    "points",
    "ellipse",
    "cuboid",
    "mask",
    "skeleton",
)
_POINT_COUNTS = {"rectangle": 4, "ellipse": 4, "cuboid": 16}
_LINEAR = ("rectangle", "ellipse", "cuboid", "points", "polygon", "polyline")
OPEN_END = 2**31 - 1


def _bad(message: str) -> ApiError:
    return ApiError(400, [message])


class Validator:
    """Checks a payload against a task's labels and a frame range; fills defaults."""

    def __init__(self, specs: dict[int, LabelSpec], lo: int, hi: int) -> None:
        self.specs = specs
        self.lo = lo
        self.hi = hi

    def _label(self, obj: dict[str, Any], parent: LabelSpec | None = None) -> LabelSpec:
        label_id = obj.get("label_id")
        spec = self.specs.get(label_id) if isinstance(label_id, int) else None
        if spec is None or (parent is None and spec.parent_id is not None):
            raise _bad(f"label_id `{label_id}` is invalid")
        if parent is not None and spec.id not in parent.sublabels:
            raise _bad(f"label_id `{label_id}` is not a sublabel of `{parent.id}`")
        return spec

    def _frame(self, obj: dict[str, Any]) -> int:
        frame = obj.get("frame")
        if not isinstance(frame, int) or isinstance(frame, bool):
            raise ApiError(400, {"frame": ["A valid integer is required."]})
        if not self.lo <= frame <= self.hi:
            raise _bad(f"frame `{frame}` is out of the range [{self.lo}, {self.hi}]")
        return frame

    def _attributes(self, raw: Any, spec: LabelSpec, allowed: str) -> list[dict[str, Any]]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            raise ApiError(400, {"attributes": ["Expected a list of items."]})
        out = []
        for item in raw:
            if not isinstance(item, dict) or "spec_id" not in item or "value" not in item:
                raise ApiError(400, {"attributes": [{"spec_id": ["This field is required."]}]})
            attr = spec.attributes.get(item["spec_id"])
            if (
                attr is None
                or (allowed == "mutable" and not attr["mutable"])
                or (allowed == "immutable" and attr["mutable"])
            ):
                raise _bad(f"spec_id `{item['spec_id']}` is invalid")
            value = item["value"]
            value = value if isinstance(value, str) else json.dumps(value).strip('"')
            _check_value(value)
            out.append({"spec_id": item["spec_id"], "value": value})
        return out

    def _points(self, shape: dict[str, Any], shape_type: str) -> list[float]:
        points = shape.get("points", [])
        try:
            out = [float(p) for p in points]
        except (TypeError, ValueError):
            raise ApiError(400, {"points": ["Expected a list of numbers."]}) from None
        expected = _POINT_COUNTS.get(shape_type)
        if expected is not None and len(out) != expected:
            raise _bad(f"a {shape_type} needs {expected} points, got {len(out)}")
        if shape_type == "mask" and len(out) < 5:
            raise _bad("a mask needs its RLE followed by [left, top, right, bottom]")
        return out

    def _geometry(self, shape: dict[str, Any], index: int, kind: str) -> dict[str, Any]:
        shape_type = shape.get("type")
        if shape_type not in SHAPE_TYPES:
            raise ApiError(
                400,
                {
                    kind: [{} for _ in range(index)]
                    + [{"type": [f'"{shape_type}" is not a valid choice.']}]
                },
            )
        rotation = shape.get("rotation") or 0.0
        if type(rotation) not in (int, float) or not 0 <= rotation <= 360:
            raise ApiError(400, {"rotation": ["Ensure this value is between 0 and 360."]})
        return {
            "type": shape_type,
            "occluded": bool(shape.get("occluded", False)),
            "outside": bool(shape.get("outside", False)),
            "z_order": _int(shape.get("z_order"), "z_order"),
            "rotation": float(rotation),
            "points": self._points(shape, shape_type),
        }

    def tag(self, raw: dict[str, Any]) -> dict[str, Any]:
        spec = self._label(raw)
        return {
            "id": raw.get("id"),
            "frame": self._frame(raw),
            "label_id": spec.id,
            "group": _int(raw.get("group"), "group"),
            "source": raw.get("source") or "manual",
            "attributes": self._attributes(raw.get("attributes"), spec, "all"),
        }

    def shape(
        self, raw: dict[str, Any], index: int, parent: LabelSpec | None = None
    ) -> dict[str, Any]:
        spec = self._label(raw, parent)
        out = self._geometry(raw, index, "shapes")
        out["id"] = raw.get("id")
        out["label_id"] = spec.id
        out["group"] = _int(raw.get("group"), "group")
        out["source"] = raw.get("source") or "manual"
        out["frame"] = self._frame(raw)
        out["attributes"] = self._attributes(raw.get("attributes"), spec, "all")
        score = raw.get("score", 1.0)
        if type(score) not in (int, float) or not 0 <= score <= 1:
            raise ApiError(400, {"score": ["Ensure this value is between 0 and 1."]})
        out["score"] = float(score)
        elements = raw.get("elements") or []
        if parent is not None:  # a skeleton's element (SubLabeledShape) has no elements
            if elements:
                raise _bad("skeleton elements cannot have elements")
        elif out["type"] == "skeleton":
            out["elements"] = [self.shape(e, i, spec) for i, e in enumerate(elements)]
        elif elements:
            raise _bad("only skeleton shapes can have elements")
        else:
            out["elements"] = []
        return out

    def track(
        self, raw: dict[str, Any], index: int, parent: LabelSpec | None = None
    ) -> dict[str, Any]:
        spec = self._label(raw, parent)
        frame = self._frame(raw)
        shapes = raw.get("shapes")
        if not isinstance(shapes, list):
            raise ApiError(400, {"shapes": ["This field is required."]})
        out_shapes = []
        for i, shape in enumerate(shapes):
            item = self._geometry(shape, i, "shapes")
            item.update(
                {
                    "id": shape.get("id"),
                    "frame": self._frame(shape),
                    "attributes": self._attributes(shape.get("attributes"), spec, "mutable"),
                }
            )
            out_shapes.append(item)
        out_shapes.sort(key=lambda s: s["frame"])
        if out_shapes and frame < out_shapes[0]["frame"]:
            # as CVAT: a track starts at its frame, hidden until its first shape
            hidden = {**out_shapes[0], "id": None, "frame": frame, "outside": True}
            out_shapes.insert(0, hidden)
        elif out_shapes:
            frame = out_shapes[0]["frame"]
        out = {
            "id": raw.get("id"),
            "frame": frame,
            "label_id": spec.id,
            "group": _int(raw.get("group"), "group"),
            "source": raw.get("source") or "manual",
            "attributes": self._attributes(raw.get("attributes"), spec, "immutable"),
            "shapes": out_shapes,
            "elements": [],
        }
        if spec.type == "skeleton" or raw.get("elements"):
            out["elements"] = [
                self.track(e, i, spec) for i, e in enumerate(raw.get("elements") or [])
            ]
        return out

    def payload(self, data: Any, kinds: tuple[str, ...] = KINDS) -> dict[str, list[dict[str, Any]]]:
        if not isinstance(data, dict):
            raise ApiError(400, {"non_field_errors": ["Invalid data. Expected a dictionary."]})
        out: dict[str, list[dict[str, Any]]] = {}
        for kind in kinds:
            items = data.get(kind, [])
            if not isinstance(items, list):
                raise ApiError(400, {kind: ["Expected a list of items."]})
            for item in items:
                if not isinstance(item, dict):
                    raise ApiError(400, {kind: ["Invalid data. Expected a dictionary."]})
            try:
                if kind == "tags":
                    out[kind] = [self.tag(item) for item in items]
                elif kind == "shapes":
                    out[kind] = [self.shape(item, i) for i, item in enumerate(items)]
                else:
                    out[kind] = [self.track(item, i) for i, item in enumerate(items)]
            except ApiError as exc:
                # DRF nests an object's field errors under its kind: {"shapes": [{...}]}
                if isinstance(exc.detail, dict) and kind not in exc.detail:
                    raise ApiError(exc.status, {kind: [exc.detail]}) from None
                raise
        return out


def _int(value: Any, name: str) -> int:
    """An optional integer field (None/absent is 0), with DRF's message when invalid."""
    if value is None:
        return 0
    if type(value) is int:
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(400, {name: ["A valid integer is required."]}) from None


def _check_value(value: str) -> None:
    """CVAT stores any text up to 4096 characters as an attribute value: it checks neither
    select/radio choices, nor checkbox spelling, nor number ranges (AttributeValSerializer)."""
    if len(value) > 4096:
        raise ApiError(
            400,
            {"attributes": [{"value": ["Ensure this field has no more than 4096 characters."]}]},
        )


class Annotations:
    """Reads and writes one task's annotations over a frame range."""

    def __init__(self, store: Store, task_id: int, lo: int, hi: int, whole_task: bool) -> None:
        self.store = store
        self.task_id = task_id
        self.lo = lo
        self.hi = hi
        self.whole_task = whole_task

    # ----------------------------------------------------------------- reading
    def read_text(self, version: int) -> str:
        """The range's annotations as JSON text, without decoding stored shapes."""
        parts = []
        for kind in ("tags", "shapes"):
            bodies = self.store.texts(
                "SELECT body FROM objects WHERE task_id = ? AND kind = ? AND frame BETWEEN ? AND ? "
                "ORDER BY id",
                (self.task_id, kind, self.lo, self.hi),
            )
            parts.append(bodies)
        tracks = [dumps(self._clip(track)) for track in self._tracks()]
        return render_text(version, parts[0], parts[1], tracks)

    def _tracks(self) -> list[dict[str, Any]]:
        rows = self.store.all(
            "SELECT body FROM objects WHERE task_id = ? AND kind = 'tracks' AND frame <= ? "
            "AND last_frame >= ? ORDER BY id",
            (self.task_id, self.hi, self.lo),
        )
        return [json.loads(row["body"]) for row in rows]

    def _clip(self, track: dict[str, Any]) -> dict[str, Any]:
        if self.whole_task:
            return track
        clipped = dict(track)
        clipped["shapes"] = _clip_shapes(track["shapes"], self.lo, self.hi)
        if clipped["shapes"]:
            clipped["frame"] = clipped["shapes"][0]["frame"]
        clipped["elements"] = [self._clip(e) for e in track.get("elements", [])]
        return clipped

    # ----------------------------------------------------------------- writing
    def _assign_ids(self, data: dict[str, list[dict[str, Any]]], keep_ids: bool) -> None:
        def take(counter: str, items: list[dict[str, Any]]) -> None:
            fresh = [item for item in items if not (keep_ids and item.get("id"))]
            if fresh:
                first = self.store.next_ids(counter, len(fresh))
                for offset, item in enumerate(fresh):
                    item["id"] = first + offset

        take("tags", data.get("tags", []))
        shapes = data.get("shapes", [])
        take("shapes", shapes)
        take("elements", [e for s in shapes for e in s.get("elements", [])])
        tracks = data.get("tracks", [])
        take("tracks", tracks)
        sub_tracks = [e for t in tracks for e in t.get("elements", [])]
        take("tracks", sub_tracks)
        take("tracked_shapes", [s for t in tracks + sub_tracks for s in t["shapes"]])

    def _insert(self, data: dict[str, list[dict[str, Any]]]) -> dict[str, list[str]]:
        """Store objects; returns their JSON texts by kind (reused for the answer)."""
        texts: dict[str, list[str]] = {}
        rows = []
        task_id = self.task_id
        for kind in ("tags", "shapes"):
            encoded = texts[kind] = [dumps(obj) for obj in data.get(kind, [])]
            rows.extend(
                (kind, obj["id"], task_id, obj["frame"], obj["frame"], text)
                for obj, text in zip(data.get(kind, []), encoded)
            )
        tracks = data.get("tracks", [])
        texts["tracks"] = [dumps(track) for track in tracks]
        rows.extend(
            ("tracks", t["id"], task_id, t["frame"], _last_frame(t), text)
            for t, text in zip(tracks, texts["tracks"])
        )
        with self.store.tx() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO objects (kind, id, task_id, frame, last_frame, body) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
        return texts

    def _delete_range(self, keep_track_ids: set[int] = frozenset()) -> dict[int, dict[str, Any]]:
        """Remove the range's objects; return tracks that keep shapes outside it."""
        survivors: dict[int, dict[str, Any]] = {}
        with self.store.tx() as conn:
            conn.execute(
                "DELETE FROM objects WHERE task_id = ? AND kind IN ('tags', 'shapes') "
                "AND frame BETWEEN ? AND ?",
                (self.task_id, self.lo, self.hi),
            )
            for track in self._tracks():
                rest = None if self.whole_task else _outside_range(track, self.lo, self.hi)
                if rest is None:
                    conn.execute(
                        "DELETE FROM objects WHERE kind = 'tracks' AND id = ?", (track["id"],)
                    )
                else:
                    survivors[track["id"]] = rest
                    conn.execute(
                        "UPDATE objects SET body = ?, frame = ?, last_frame = ? "
                        "WHERE kind = 'tracks' AND id = ?",
                        (dumps(rest), rest["frame"], _last_frame(rest), track["id"]),
                    )
        return survivors

    def replace(self, data: dict[str, list[dict[str, Any]]]) -> dict[str, list[str]]:
        """PUT: the range's annotations become exactly ``data``."""
        with self.store.tx():
            survivors = self._delete_range()
            merged = []
            for track in data.get("tracks", []):
                old = survivors.get(track.get("id"))
                _forget_ids(track)
                merged.append(track if old is None else _merge_track(old, track))
            for kind in ("tags", "shapes"):
                for obj in data.get(kind, []):
                    _forget_ids(obj)
            data["tracks"] = merged
            self._assign_ids(data, keep_ids=True)
            return self._insert(data)

    def create(self, data: dict[str, list[dict[str, Any]]]) -> dict[str, list[str]]:
        self._assign_ids(data, keep_ids=False)
        return self._insert(data)

    def update(self, data: dict[str, list[dict[str, Any]]]) -> dict[str, list[str]]:
        """PATCH update: replace objects by id; objects without a known id are created."""
        with self.store.tx():
            for kind in KINDS:
                items = data.get(kind, [])
                for position, obj in enumerate(items):
                    row = self.store.one(
                        "SELECT body FROM objects WHERE task_id = ? AND kind = ? AND id = ?",
                        (self.task_id, kind, obj.get("id")),
                    )
                    if row is None:
                        _forget_ids(obj)
                    elif kind == "tracks" and not self.whole_task:
                        rest = _outside_range(json.loads(row["body"]), self.lo, self.hi)
                        if rest is not None:
                            items[position] = _merge_track(rest, obj)
            self._assign_ids(data, keep_ids=True)
            return self._insert(data)

    def delete(self, data: dict[str, list[dict[str, Any]]]) -> dict[str, list[str]]:
        with self.store.tx() as conn:
            for kind in KINDS:
                ids = [
                    (kind, obj["id"], self.task_id) for obj in data.get(kind, []) if obj.get("id")
                ]
                conn.executemany(
                    "DELETE FROM objects WHERE kind = ? AND id = ? AND task_id = ?", ids
                )
        return {kind: [dumps(obj) for obj in data.get(kind, [])] for kind in KINDS}

    def clear(self) -> None:
        self._delete_range()


def render_text(version: int, tags: list[str], shapes: list[str], tracks: list[str]) -> str:
    """A LabeledData document from already-encoded objects."""
    return (
        f'{{"version":{version},"tags":[{",".join(tags)}],"shapes":[{",".join(shapes)}],'
        f'"tracks":[{",".join(tracks)}],"intervals":[]}}'
    )


def _forget_ids(obj: dict[str, Any]) -> None:
    """PUT creates new objects: drop client ids at every level."""
    obj["id"] = None
    for child in obj.get("elements", []) + obj.get("shapes", []):
        _forget_ids(child)


def _last_frame(track: dict[str, Any]) -> int:
    shapes = track["shapes"]
    if not shapes:
        return track["frame"]
    last = shapes[-1]
    return last["frame"] if last["outside"] else OPEN_END


def _outside_range(track: dict[str, Any], lo: int, hi: int) -> dict[str, Any] | None:
    """The track without its shapes in [lo, hi], or None if nothing remains."""
    shapes = [s for s in track["shapes"] if not lo <= s["frame"] <= hi]
    if not shapes:
        return None
    rest = dict(track)
    rest["shapes"] = shapes
    rest["frame"] = shapes[0]["frame"]
    rest["elements"] = [
        e for e in (_outside_range(e, lo, hi) for e in track.get("elements", [])) if e
    ]
    return rest


def _merge_track(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """A track written through a job: its in-range shapes plus what lay outside."""
    shapes = sorted(old["shapes"] + new["shapes"], key=lambda s: s["frame"])
    merged = dict(new)
    merged["id"] = old["id"]
    merged["shapes"] = shapes
    merged["frame"] = shapes[0]["frame"] if shapes else new["frame"]
    return merged


def _clip_shapes(shapes: list[dict[str, Any]], lo: int, hi: int) -> list[dict[str, Any]]:
    inside = [s for s in shapes if lo <= s["frame"] <= hi]
    before = [s for s in shapes if s["frame"] < lo]
    if before and not before[-1]["outside"] and (not inside or inside[0]["frame"] != lo):
        after = [s for s in shapes if s["frame"] > lo]
        start = _interpolate(before[-1], after[0] if after else None, lo)
        inside.insert(0, start)
    return inside


def _interpolate(prev: dict[str, Any], nxt: dict[str, Any] | None, frame: int) -> dict[str, Any]:
    shape = {**prev, "id": None, "frame": frame}
    if (
        nxt is not None
        and prev["type"] in _LINEAR
        and nxt["type"] == prev["type"]
        and len(nxt["points"]) == len(prev["points"])
    ):
        t = (frame - prev["frame"]) / (nxt["frame"] - prev["frame"])
        shape["points"] = [a + (b - a) * t for a, b in zip(prev["points"], nxt["points"])]
        shape["rotation"] = prev["rotation"] + (nxt["rotation"] - prev["rotation"]) * t
    if not all(math.isfinite(p) for p in shape["points"]):
        shape["points"] = list(prev["points"])
    return shape
