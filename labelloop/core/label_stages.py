"""View stages about labels and frames: filter/match/select/exclude labels, match_frames, set_field.

Label stages edit the documents' label lists (see :class:`LabelPath`); that is
how a view hides labels without changing the dataset, and how samples read
through the view know which labels they may delete when saved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from labelloop.core.expressions import ViewExpression, compile_expr, to_node
from labelloop.core.fields import is_label_spec, list_attr
from labelloop.core.stages import Doc, Stage, as_list, drop_fields, frames_in

if TYPE_CHECKING:
    from labelloop.core.dataset import Dataset


# -- label field helpers ---------------------------------------------------------


class LabelPath:
    """A label field as stages see it: ``ground_truth`` or ``frames.detections``."""

    def __init__(self, dataset: Dataset, path: str) -> None:
        self.path = path
        self.is_frame = path.startswith("frames.")
        self.field = path[len("frames.") :] if self.is_frame else path
        schema = dataset.frame_schema if self.is_frame else dataset.sample_schema
        spec = schema.get(self.field)
        if not is_label_spec(spec):
            where = "frame" if self.is_frame else "sample"
            raise ValueError(
                f"'{path}' is not a {where}-level label field of dataset '{dataset.name}'"
            )
        self.list_attr = list_attr(spec)

    def filter_doc(self, doc: Doc, keep: Callable[[Doc, Doc], bool], root: Doc) -> int:
        """Drop labels of this field failing ``keep(root, label)`` in one sample/frame doc.

        Returns how many labels remain.
        """
        value = doc.get(self.field)
        if value is None:
            return 0
        if self.list_attr:
            items = [x for x in value.get(self.list_attr) or [] if keep(root, x)]
            doc[self.field] = {**value, self.list_attr: items}
            return len(items)
        if keep(root, value):
            return 1
        doc[self.field] = None
        return 0

    def labels(self, doc: Doc) -> list[Doc]:
        """The label dicts of this field in one sample/frame doc."""
        value = doc.get(self.field)
        if value is None:
            return []
        return list(value.get(self.list_attr) or []) if self.list_attr else [value]

    def filter_sample(self, doc: Doc, keep: Callable[[Doc, Doc], bool]) -> int:
        """Like :meth:`filter_doc` over a whole sample (all frames for frame fields)."""
        if not self.is_frame:
            return self.filter_doc(doc, keep, doc)
        return sum(self.filter_doc(f, keep, f) for f in doc.get("frames") or [])

    def sample_labels(self, doc: Doc) -> Iterator[Doc]:
        """Every label of this field in a sample (across frames)."""
        if not self.is_frame:
            yield from self.labels(doc)
            return
        for frame in doc.get("frames") or []:
            yield from self.labels(frame)


def label_paths(dataset: Dataset, fields: Any = None) -> list[LabelPath]:
    """The label fields named (default: every sample- and frame-level label field)."""
    if fields is None:
        names = [n for n, s in dataset.sample_schema.items() if is_label_spec(s)]
        names += [f"frames.{n}" for n, s in dataset.frame_schema.items() if is_label_spec(s)]
    else:
        names = as_list(fields)
    return [LabelPath(dataset, n) for n in names]


# -- labels ----------------------------------------------------------------------


class FilterLabels(Stage):
    """Only the labels of ``field`` matching ``filter``; ``only_matches`` drops emptied samples."""

    def __init__(self, field: str, filter: Any, only_matches: bool = True) -> None:
        self.field = field
        self.filter = to_node(filter)
        self.only_matches = bool(only_matches)
        self.frames_needed = field.startswith("frames.")

    def _kwargs(self) -> dict[str, Any]:
        return {"field": self.field, "filter": self.filter, "only_matches": self.only_matches}

    @classmethod
    def _from_kwargs(cls, kw: dict[str, Any]) -> FilterLabels:
        return cls(kw["field"], ViewExpression(kw["filter"]), kw.get("only_matches", True))

    def validate(self, dataset: Dataset) -> None:
        LabelPath(dataset, self.field)

    def filtered_paths(self, dataset: Dataset) -> list[str]:
        return [self.field]

    def sql_step(self) -> dict[str, Any] | None:
        return {
            "kind": "filter_labels",
            "field": self.field,
            "filter": self.filter,
            "only_matches": self.only_matches,
        }

    def apply(self, docs: Iterable[Doc], dataset: Dataset) -> Iterator[Doc]:
        path = LabelPath(dataset, self.field)
        keep = compile_expr(self.filter)
        for doc in docs:
            if path.filter_sample(doc, keep) or not self.only_matches:
                yield doc

    def frame_filter(self, dataset: Dataset) -> Callable[[Doc], Doc] | None:
        path = LabelPath(dataset, self.field)
        if not path.is_frame:
            return None
        keep = compile_expr(self.filter)

        def apply(frame: Doc) -> Doc:
            path.filter_doc(frame, keep, frame)
            return frame

        return apply


class _LabelCriteria:
    """Shared matching for match/select/exclude_labels: ids, tags and a filter, ANDed."""

    def __init__(self, labels: Any, ids: Any, tags: Any, filter: Any = None) -> None:
        self.labels = [dict(x) for x in as_list(labels)]
        self.ids = list(as_list(ids))
        self.tags = list(as_list(tags))
        self.filter = None if filter is None else to_node(filter)

    def kwargs(self) -> dict[str, Any]:
        """The criteria as JSON-friendly stage arguments."""
        return {"labels": self.labels, "ids": self.ids, "tags": self.tags, "filter": self.filter}

    def predicate(self) -> Callable[[Doc, Doc], bool]:
        """``keep(root, label)``: whether a label meets every criterion."""
        ids = set(self.ids) | {x["label_id"] for x in self.labels if "label_id" in x}
        tags = set(self.tags)
        test = compile_expr(self.filter) if self.filter is not None else None
        use_ids = bool(self.ids or self.labels)

        def keep(root: Doc, label: Doc) -> bool:
            if use_ids and label.get("id") not in ids:
                return False
            if tags and not tags & set(label.get("tags") or []):
                return False
            return test is None or bool(test(root, label))

        return keep

    def default_fields(self) -> Any:
        """Fields named by ``labels`` entries (``None``: every label field)."""
        fields = {x["field"] for x in self.labels if x.get("field")}
        return sorted(fields) if fields else None

    def sql_step(self, kind: str, fields: Any) -> dict[str, Any]:
        """The criteria as a step of ``Store.view_ids`` (``fields``: ``None`` for all)."""
        ids = set(self.ids) | {x["label_id"] for x in self.labels if "label_id" in x}
        fields = fields or self.default_fields()
        return {
            "kind": kind,
            "fields": None if fields is None else as_list(fields),
            "use_ids": bool(self.ids or self.labels),
            "ids": [i for i in ids if isinstance(i, str)],
            "tags": list(self.tags),
            "filter": self.filter,
        }


class MatchLabels(Stage):
    """Samples with at least one label meeting every given criterion (labels unchanged)."""

    drops_only = True

    def __init__(
        self,
        labels: Any = None,
        ids: Any = None,
        tags: Any = None,
        filter: Any = None,
        fields: Any = None,
        bool: bool | None = None,
    ) -> None:
        self.criteria = _LabelCriteria(labels, ids, tags, filter)
        self.fields = None if fields is None else as_list(fields)
        self.bool = True if bool is None else bool
        self.frames_needed = True

    def _kwargs(self) -> dict[str, Any]:
        return {**self.criteria.kwargs(), "fields": self.fields, "bool": self.bool}

    @classmethod
    def _from_kwargs(cls, kw: dict[str, Any]) -> MatchLabels:
        kw = dict(kw)
        if kw.get("filter") is not None:
            kw["filter"] = ViewExpression(kw["filter"])
        return cls(**kw)

    def validate(self, dataset: Dataset) -> None:
        label_paths(dataset, self.fields)

    def sql_step(self) -> dict[str, Any] | None:
        return {**self.criteria.sql_step("match_labels", self.fields), "bool": self.bool}

    def apply(self, docs: Iterable[Doc], dataset: Dataset) -> Iterator[Doc]:
        paths = label_paths(dataset, self.fields or self.criteria.default_fields())
        keep = self.criteria.predicate()

        def matches(doc: Doc) -> bool:
            for path in paths:
                if path.is_frame:
                    for frame in doc.get("frames") or []:
                        if any(keep(frame, x) for x in path.labels(frame)):
                            return True
                elif any(keep(doc, x) for x in path.labels(doc)):
                    return True
            return False

        return (d for d in docs if matches(d) == self.bool)


class _LabelSelection(Stage):
    """select_labels / exclude_labels."""

    _SELECT: ClassVar[bool] = True

    def __init__(
        self,
        labels: Any = None,
        ids: Any = None,
        tags: Any = None,
        fields: Any = None,
        omit_empty: bool = True,
    ) -> None:
        self.criteria = _LabelCriteria(labels, ids, tags)
        self.fields = None if fields is None else as_list(fields)
        self.omit_empty = bool(omit_empty)
        self.frames_needed = True

    def _kwargs(self) -> dict[str, Any]:
        kw = self.criteria.kwargs()
        kw.pop("filter")
        return {**kw, "fields": self.fields, "omit_empty": self.omit_empty}

    @classmethod
    def _from_kwargs(cls, kw: dict[str, Any]) -> _LabelSelection:
        return cls(**kw)

    def validate(self, dataset: Dataset) -> None:
        label_paths(dataset, self.fields)

    def sql_step(self) -> dict[str, Any] | None:
        kind = "select_labels" if self._SELECT else "exclude_labels"
        return {**self.criteria.sql_step(kind, self.fields), "omit_empty": self.omit_empty}

    def _paths(self, dataset: Dataset) -> list[LabelPath]:
        return label_paths(dataset, self.fields or self.criteria.default_fields())

    def filtered_paths(self, dataset: Dataset) -> list[str]:
        return [p.path for p in self._paths(dataset)]

    def _keep(self) -> Callable[[Doc, Doc], bool]:
        match = self.criteria.predicate()
        if self._SELECT:
            return match
        return lambda root, label: not match(root, label)

    def excluded_fields(self, dataset: Dataset) -> list[str]:
        """select_labels hides label fields outside its selection."""
        if not self._SELECT:
            return []
        chosen = {p.path for p in self._paths(dataset)}
        return [p.path for p in label_paths(dataset) if p.path not in chosen]

    def apply(self, docs: Iterable[Doc], dataset: Dataset) -> Iterator[Doc]:
        paths = self._paths(dataset)
        hidden = self.excluded_fields(dataset)
        keep = self._keep()
        for doc in docs:
            drop_fields(doc, hidden)
            remaining = sum(path.filter_sample(doc, keep) for path in paths)
            if remaining or not self.omit_empty:
                yield doc

    def frame_filter(self, dataset: Dataset) -> Callable[[Doc], Doc] | None:
        paths = [p for p in self._paths(dataset) if p.is_frame]
        hidden = [
            h[len("frames.") :] for h in self.excluded_fields(dataset) if h.startswith("frames.")
        ]
        if not paths and not hidden:
            return None
        keep = self._keep()

        def apply(frame: Doc) -> Doc:
            for name in hidden:
                frame.pop(name, None)
            for path in paths:
                path.filter_doc(frame, keep, frame)
            return frame

        return apply


class SelectLabels(_LabelSelection):
    """Only the labels matching the criteria; other label fields are hidden."""

    _SELECT = True


class ExcludeLabels(_LabelSelection):
    """Every label except those matching the criteria."""

    _SELECT = False


# -- frames and computed fields -------------------------------------------------------


class MatchFrames(Stage):
    """Only the frames for which ``filter`` (about one frame) is true.

    ``omit_empty`` drops samples left without frames.
    """

    frames_needed = True

    def __init__(self, filter: Any, omit_empty: bool = True) -> None:
        self.filter = to_node(filter)
        self.omit_empty = bool(omit_empty)

    def _kwargs(self) -> dict[str, Any]:
        return {"filter": self.filter, "omit_empty": self.omit_empty}

    @classmethod
    def _from_kwargs(cls, kw: dict[str, Any]) -> MatchFrames:
        return cls(ViewExpression(kw["filter"]), kw.get("omit_empty", True))

    def validate(self, dataset: Dataset) -> None:
        if dataset.media_type not in (None, "video"):
            raise ValueError(f"match_frames needs a video dataset; '{dataset.name}' has images")

    def apply(self, docs: Iterable[Doc], dataset: Dataset) -> Iterator[Doc]:
        test = compile_expr(self.filter)
        for doc in docs:
            doc["frames"] = [f for f in doc.get("frames") or [] if test(f, f)]
            if doc["frames"] or not self.omit_empty:
                yield doc


def _assign(obj: Any, parts: list[str], fn: Callable[[Doc, Doc], Any], root: Doc) -> None:
    """Set ``parts`` below ``obj`` to ``fn(root, parent)``, mapping over lists."""
    if isinstance(obj, list):
        for item in obj:
            _assign(item, parts, fn, root)
        return
    if not isinstance(obj, dict):
        return
    if len(parts) == 1:
        obj[parts[0]] = fn(root, obj)
        return
    _assign(obj.get(parts[0]), parts[1:], fn, root)


class SetField(Stage):
    """A field (or label attribute, per list item) computed from an expression.

    The expression is evaluated on the field's parent: ``set_field("score",
    F("uniqueness") * 2)`` on the sample, ``set_field("predictions.detections.label",
    F("label").upper())`` on each detection. Saving a sample of the view stores the
    computed values.
    """

    def __init__(self, field: str, expr: Any) -> None:
        self.field = field
        self.expr = to_node(expr)
        self.frames_needed = field.startswith("frames.") or frames_in(self.expr)

    def _kwargs(self) -> dict[str, Any]:
        return {"field": self.field, "expr": self.expr}

    @classmethod
    def _from_kwargs(cls, kw: dict[str, Any]) -> SetField:
        return cls(kw["field"], ViewExpression(kw["expr"]))

    def validate(self, dataset: Dataset) -> None:
        head = self.field.split(".")[1 if self.field.startswith("frames.") else 0]
        if head in ("id", "filepath", "frame_number"):
            raise ValueError(f"Cannot set the built-in field '{head}'")

    def filtered_paths(self, dataset: Dataset) -> list[str]:
        parts = self.field.split(".")
        head = ".".join(parts[:2]) if parts[0] == "frames" else parts[0]
        try:
            LabelPath(dataset, head)
        except ValueError:
            return []
        return [head]

    def apply(self, docs: Iterable[Doc], dataset: Dataset) -> Iterator[Doc]:
        fn = compile_expr(self.expr)
        parts = self.field.split(".")
        for doc in docs:
            _assign(doc, parts, fn, doc)
            yield doc

    def frame_filter(self, dataset: Dataset) -> Callable[[Doc], Doc] | None:
        if not self.field.startswith("frames."):
            return None
        fn = compile_expr(self.expr)
        parts = self.field.split(".")[1:]

        def apply(frame: Doc) -> Doc:
            _assign(frame, parts, fn, frame)
            return frame

        return apply
