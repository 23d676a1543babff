"""A scripted annotator: the edits a person makes in CVAT's UI, through the same REST calls.

Tests of the annotation loop need "someone" to change labels on the server
between upload and download. :class:`Annotator` does it the way the CVAT UI
does: it logs in (session cookie + CSRF token), reads a job's labels
(``/api/labels?job_id=``) and annotations, saves edits with ``PATCH
/api/jobs/{id}/annotations?action=create|update|delete`` and finishes jobs
with ``PATCH /api/jobs/{id}``. It uses only CVAT's public API, so it works
against a real CVAT as well as against the local server.

Labels and attributes are given by name; the annotator looks up label ids and
attribute spec ids. Attribute values may be str, bool (sent as
``"true"``/``"false"``) or numbers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

import httpx

logger = logging.getLogger(__name__)

_KINDS = ("tags", "shapes", "tracks")


class AnnotatorError(RuntimeError):
    """A request the server refused, or a name that does not exist."""


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _default(spec: dict[str, Any]) -> dict[str, Any]:
    return {"spec_id": spec["id"], "value": spec["default_value"]}


def _valid(value: str, spec: dict[str, Any]) -> bool:
    """Whether ``value`` fits attribute ``spec`` (cvat-core's ``validateAttributeValue``)."""
    kind, values = spec["input_type"], spec["values"]
    if kind == "text":
        return True
    if kind == "checkbox":
        return value in ("true", "false")
    if kind == "number":
        try:
            low, high, step = (float(v) for v in values)
            number = float(value)
        except ValueError:
            return False
        return low <= number <= high and (number - low) % step == 0
    return value in values  # select, radio


class TaskView:
    """A task as the annotator sees it: its jobs and labels."""

    def __init__(self, annotator: Annotator, task_id: int) -> None:
        self._annotator = annotator
        self.id = task_id

    def jobs(self) -> list[dict[str, Any]]:
        """The task's jobs, ordered by first frame."""
        return self._annotator.jobs(self.id)

    def labels(self) -> list[dict[str, Any]]:
        return self._annotator._list("/api/labels", {"task_id": self.id})


class Annotator:
    """Edit annotations on a CVAT (or CVAT-compatible) server like a person in the UI.

    ``Annotator(url, username, password)`` logs in with a session, as the UI
    does; ``Annotator(url, token=key)`` uses a REST token instead.
    """

    def __init__(
        self,
        url: str,
        username: str | None = None,
        password: str | None = None,
        *,
        token: str | None = None,
        organization: str | None = None,
        timeout: float = 60.0,
    ) -> None:
        if token is None and (not username or password is None):
            raise ValueError("give username and password, or token=")
        headers = {"Accept": "application/vnd.cvat+json, application/json"}
        if organization is not None:
            headers["X-Organization"] = organization
        if token is not None:
            headers["Authorization"] = f"Token {token}"
        self._http = httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=timeout)
        self._labels: dict[int, dict[str, dict[str, Any]]] = {}
        if token is None:
            response = self._http.post(
                "/api/auth/login", json={"username": username, "password": password}
            )
            if response.status_code != 200:
                self._http.close()
                raise AnnotatorError(f"login as {username!r} failed ({response.status_code})")
            self._http.headers["X-CSRFToken"] = self._http.cookies.get("csrftoken", "")
            # Django checks the Referer of HTTPS session writes, as a browser sends it
            self._http.headers["Referer"] = f"{str(self._http.base_url).rstrip('/')}/"

    def __repr__(self) -> str:
        return f"Annotator(url={str(self._http.base_url)!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Annotator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ http
    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise AnnotatorError(
                f"{method} {path} failed with {response.status_code}: {response.text[:500]}"
            )
        return response.json() if response.content else None

    def _list(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page = self._call("GET", path, params={**params, "page_size": 100})
        while True:
            items.extend(page["results"])
            if not page["next"]:
                return items
            page = self._call("GET", page["next"])

    # ------------------------------------------------------------------ reading
    def task(self, task_id: int) -> TaskView:
        return TaskView(self, task_id)

    def jobs(self, task_id: int) -> list[dict[str, Any]]:
        """The jobs of a task, ordered by first frame."""
        jobs = self._list("/api/jobs", {"task_id": task_id})
        return sorted(jobs, key=lambda job: job["start_frame"])

    def job(self, job_id: int) -> dict[str, Any]:
        return self._call("GET", f"/api/jobs/{job_id}")

    def annotations(self, job_id: int) -> dict[str, Any]:
        """The job's annotations (``tags``, ``shapes``, ``tracks``, ``version``)."""
        return self._call("GET", f"/api/jobs/{job_id}/annotations")

    def _label_map(self, job_id: int) -> dict[str, dict[str, Any]]:
        if job_id not in self._labels:
            labels = self._list("/api/labels", {"job_id": job_id})
            mapping = {label["name"]: label for label in labels}
            for label in labels:
                for sub in label.get("sublabels", []):
                    mapping.setdefault(f"{label['name']}.{sub['name']}", sub)
            self._labels[job_id] = mapping
        return self._labels[job_id]

    def label_id(self, job_id: int, name: str) -> int:
        labels = self._label_map(job_id)
        if name not in labels:
            raise AnnotatorError(f"label {name!r} not found; the job has {sorted(labels)}")
        return labels[name]["id"]

    def _label_by_id(self, job_id: int, label_id: int) -> dict[str, Any]:
        for label in self._label_map(job_id).values():
            if label["id"] == label_id:
                return label
        raise AnnotatorError(f"label id {label_id} is not a label of job {job_id}")

    def _attributes(
        self, job_id: int, label_id: int, values: dict[str, Any] | None
    ) -> list[dict[str, Any]]:
        if not values:
            return []
        specs = {a["name"]: a["id"] for a in self._label_by_id(job_id, label_id)["attributes"]}
        out = []
        for name, value in values.items():
            if name not in specs:
                raise AnnotatorError(f"attribute {name!r} not found; the label has {sorted(specs)}")
            out.append({"spec_id": specs[name], "value": _value(value)})
        return out

    # ------------------------------------------------------------------ writing
    def _patch(self, job_id: int, action: str, data: dict[str, list[Any]]) -> dict[str, Any]:
        payload = {kind: data.get(kind, []) for kind in _KINDS}
        return self._call(
            "PATCH", f"/api/jobs/{job_id}/annotations", params={"action": action}, json=payload
        )

    def _find(self, job_id: int, object_id: int, kind: str) -> dict[str, Any]:
        for obj in self.annotations(job_id)[kind]:
            if obj["id"] == object_id:
                return obj
        raise AnnotatorError(f"no {kind[:-1]} with id {object_id} in job {job_id}")

    def add_tag(
        self, job_id: int, *, label: str, frame: int, attributes: dict[str, Any] | None = None
    ) -> int:
        """Tag a frame; returns the new tag's id."""
        label_id = self.label_id(job_id, label)
        tag = {
            "label_id": label_id,
            "frame": frame,
            "group": 0,
            "source": "manual",
            "attributes": self._attributes(job_id, label_id, attributes),
        }
        return self._patch(job_id, "create", {"tags": [tag]})["tags"][0]["id"]

    def add_shape(
        self,
        job_id: int,
        *,
        type: str,
        label: str,
        points: Sequence[float],
        frame: int,
        attributes: dict[str, Any] | None = None,
        occluded: bool = False,
        group: int = 0,
        z_order: int = 0,
        rotation: float = 0.0,
        elements: Sequence[dict[str, Any]] = (),
    ) -> int:
        """Draw a shape; returns its id.

        ``elements`` (skeletons) are dicts with ``label`` (the sublabel name),
        ``points`` and optionally ``outside``/``occluded``.
        """
        label_id = self.label_id(job_id, label)
        shape = self._shape(
            type,
            label_id,
            points,
            frame,
            self._attributes(job_id, label_id, attributes),
            occluded,
            rotation,
        )
        shape.update(group=group, z_order=z_order, source="manual")
        skeleton = self._label_by_id(job_id, label_id)
        subs = {s["name"]: s["id"] for s in skeleton.get("sublabels", [])}
        shape["elements"] = []
        for element in elements:
            if element["label"] not in subs:
                raise AnnotatorError(f"{element['label']!r} is not a sublabel of {label!r}")
            item = self._shape(
                element.get("type", "points"),
                subs[element["label"]],
                element["points"],
                frame,
                None,
                element.get("occluded", False),
                0.0,
            )
            item["outside"] = bool(element.get("outside", False))
            shape["elements"].append(item)
        return self._patch(job_id, "create", {"shapes": [shape]})["shapes"][0]["id"]

    @staticmethod
    def _shape(
        shape_type: str,
        label_id: int,
        points: Sequence[float],
        frame: int,
        attributes: Any,
        occluded: bool,
        rotation: float,
    ) -> dict[str, Any]:
        return {
            "type": shape_type,
            "label_id": label_id,
            "frame": frame,
            "points": [float(p) for p in points],
            "occluded": occluded,
            "outside": False,
            "rotation": rotation,
            "attributes": attributes or [],
        }

    def add_track(
        self,
        job_id: int,
        *,
        label: str,
        shapes: Sequence[dict[str, Any]],
        type: str = "rectangle",
        attributes: dict[str, Any] | None = None,
        group: int = 0,
    ) -> int:
        """Draw a track; returns its id.

        ``shapes`` are keyframes (CVAT stores only keyframes and interpolates
        between them): dicts with ``frame`` and ``points`` and optionally
        ``outside`` (the object leaves the frame there), ``occluded`` and
        ``attributes`` (mutable
        ones, by name). ``attributes`` here are the track's immutable ones.
        """
        if not shapes:
            raise AnnotatorError("a track needs at least one shape")
        label_id = self.label_id(job_id, label)
        ordered = sorted(shapes, key=lambda s: s["frame"])
        track_shapes = []
        for item in ordered:
            shape = self._shape(
                item.get("type", type),
                label_id,
                item["points"],
                item["frame"],
                self._attributes(job_id, label_id, item.get("attributes")),
                bool(item.get("occluded", False)),
                float(item.get("rotation", 0.0)),
            )
            shape["outside"] = bool(item.get("outside", False))
            shape["z_order"] = 0
            track_shapes.append(shape)
        track = {
            "label_id": label_id,
            "frame": ordered[0]["frame"],
            "group": group,
            "source": "manual",
            "attributes": self._attributes(job_id, label_id, attributes),
            "shapes": track_shapes,
        }
        return self._patch(job_id, "create", {"tracks": [track]})["tracks"][0]["id"]

    def set_keyframe(
        self,
        job_id: int,
        track_id: int,
        frame: int,
        *,
        points: Sequence[float] | None = None,
        outside: bool = False,
        occluded: bool | None = None,
        attributes: dict[str, Any] | None = None,
    ) -> None:
        """Edit a track at one frame, as dragging it there in the UI does.

        The frame becomes a keyframe; unspecified fields are copied from the
        track's shape at or before that frame. ``outside=True`` hides the
        object from that frame on.
        """
        track = self._find(job_id, track_id, "tracks")
        shapes = sorted(track["shapes"], key=lambda s: s["frame"])
        before = [s for s in shapes if s["frame"] <= frame] or shapes[:1]
        base = dict(before[-1])
        base.pop("id", None)
        base.update(frame=frame, outside=outside)
        if points is not None:
            base["points"] = [float(p) for p in points]
        if occluded is not None:
            base["occluded"] = occluded
        if attributes:
            new = self._attributes(job_id, track["label_id"], attributes)
            replaced = {a["spec_id"] for a in new}
            base["attributes"] = [
                a for a in base["attributes"] if a["spec_id"] not in replaced
            ] + new
        track["shapes"] = [s for s in shapes if s["frame"] != frame] + [base]
        track["shapes"].sort(key=lambda s: s["frame"])
        self._patch(job_id, "update", {"tracks": [track]})

    def update(self, job_id: int, object_id: int, *, kind: str = "shapes", **changes: Any) -> None:
        """Change fields of one object, as the UI's save does (PATCH action=update).

        ``label`` (a name) changes the label and drops attributes the new
        label does not have; ``attributes`` (by name) are merged into the
        object's; anything else (``points``, ``occluded``, ``group``,
        ``z_order``, ``rotation``, ``frame``) replaces the field.
        """
        if kind not in _KINDS:
            raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}")
        obj = self._find(job_id, object_id, kind)
        self._apply(job_id, obj, changes)
        self._patch(job_id, "update", {kind: [obj]})

    def _apply(self, job_id: int, obj: dict[str, Any], changes: dict[str, Any]) -> None:
        changes = dict(changes)
        if "label" in changes:
            self._relabel(job_id, obj, self.label_id(job_id, changes.pop("label")))
        if "attributes" in changes:
            new = self._attributes(job_id, obj["label_id"], changes.pop("attributes"))
            replaced = {a["spec_id"] for a in new}
            obj["attributes"] = [a for a in obj["attributes"] if a["spec_id"] not in replaced] + new
        if "points" in changes:
            changes["points"] = [float(p) for p in changes["points"]]
        obj.update(changes)

    def _relabel(self, job_id: int, obj: dict[str, Any], new_id: int) -> None:
        """Change ``obj``'s label as CVAT's UI does (cvat-core ``saveLabel``): every
        attribute of the new label gets its default; a shape or tag keeps the value of a
        same-named old attribute that is valid for the new one; a track keeps none."""
        old_specs = {a["id"]: a for a in self._label_by_id(job_id, obj["label_id"])["attributes"]}
        old = {
            old_specs[a["spec_id"]]["name"]: a["value"]
            for a in obj["attributes"]
            if a["spec_id"] in old_specs
        }
        specs = self._label_by_id(job_id, new_id)["attributes"]
        obj["label_id"] = new_id
        if "shapes" in obj:  # a track: immutable attributes on it, mutable ones per shape
            obj["attributes"] = [_default(a) for a in specs if not a["mutable"]]
            for shape in obj["shapes"]:
                shape["attributes"] = [_default(a) for a in specs if a["mutable"]]
            return
        obj["attributes"] = [
            {"spec_id": a["id"], "value": old[a["name"]]}
            if a["name"] in old and _valid(old[a["name"]], a)
            else _default(a)
            for a in specs
        ]

    def update_shapes(self, job_id: int, updates: Iterable[dict[str, Any]]) -> None:
        """Several shape edits in one save: each dict has ``id`` plus changes."""
        current = {s["id"]: s for s in self.annotations(job_id)["shapes"]}
        changed = []
        for update in updates:
            update = dict(update)
            shape_id = update.pop("id")
            if shape_id not in current:
                raise AnnotatorError(f"no shape with id {shape_id} in job {job_id}")
            self._apply(job_id, current[shape_id], update)
            changed.append(current[shape_id])
        self._patch(job_id, "update", {"shapes": changed})

    def move_shape(self, job_id: int, shape_id: int, dx: float, dy: float) -> None:
        """Drag a shape by (dx, dy) pixels."""
        shape = self._find(job_id, shape_id, "shapes")
        points = [p + (dx if i % 2 == 0 else dy) for i, p in enumerate(shape["points"])]
        if shape["type"] == "mask":  # RLE stays; only the box [left, top, right, bottom] moves
            points = shape["points"][:-4] + [
                p + (dx if i % 2 == 0 else dy) for i, p in enumerate(shape["points"][-4:])
            ]
        self.update(job_id, shape_id, points=points)

    def change_label(
        self, job_id: int, object_id: int, label: str, *, kind: str = "shapes"
    ) -> None:
        self.update(job_id, object_id, kind=kind, label=label)

    def set_attributes(
        self, job_id: int, object_id: int, attributes: dict[str, Any], *, kind: str = "shapes"
    ) -> None:
        self.update(job_id, object_id, kind=kind, attributes=attributes)

    def toggle_occluded(self, job_id: int, shape_id: int) -> bool:
        """Flip a shape's occluded flag; returns the new value."""
        shape = self._find(job_id, shape_id, "shapes")
        self.update(job_id, shape_id, occluded=not shape["occluded"])
        return not shape["occluded"]

    def set_group(
        self, job_id: int, ids: Iterable[int], group: int, *, kind: str = "shapes"
    ) -> None:
        """Put objects into one group (0 ungroups), as the UI's group tool does."""
        wanted = set(ids)
        objects = [o for o in self.annotations(job_id)[kind] if o["id"] in wanted]
        missing = wanted - {o["id"] for o in objects}
        if missing:
            raise AnnotatorError(f"no {kind} with ids {sorted(missing)} in job {job_id}")
        for obj in objects:
            obj["group"] = group
        self._patch(job_id, "update", {kind: objects})

    def delete_shapes(self, job_id: int, ids: Iterable[int], *, kind: str = "shapes") -> None:
        wanted = set(ids)
        objects = [o for o in self.annotations(job_id)[kind] if o["id"] in wanted]
        missing = wanted - {o["id"] for o in objects}
        if missing:
            raise AnnotatorError(f"no {kind} with ids {sorted(missing)} in job {job_id}")
        self._patch(job_id, "delete", {kind: objects})

    def set_state(
        self, job_id: int, *, stage: str | None = None, state: str | None = None
    ) -> dict[str, Any]:
        body = {k: v for k, v in (("stage", stage), ("state", state)) if v is not None}
        return self._call("PATCH", f"/api/jobs/{job_id}", json=body)

    def complete(self, job_id: int) -> dict[str, Any]:
        """Finish a job: stage ``acceptance``, state ``completed``."""
        logger.info("completing job %s", job_id)
        return self.set_state(job_id, stage="acceptance", state="completed")
