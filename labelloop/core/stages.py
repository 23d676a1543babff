"""View stages: lazy steps over plain sample documents.

Each stage serializes to ``{"_cls": name, "kwargs": {...}}`` (JSON) so views
can be stored with runs and rebuilt by :func:`load_stage`. Stages operate on
documents produced by the dataset (see ``core/docs.py``); label filters edit
the documents' label lists, which is how a view hides labels without
changing the dataset.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from labelloop.core.expressions import ViewExpression, compile_expr, get_path, to_node
from labelloop.core.fields import is_label_spec, list_attr

if TYPE_CHECKING:
    from labelloop.core.dataset import Dataset

Doc = dict[str, Any]
_STAGES: dict[str, type[Stage]] = {}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (str, dict)):
        return [value]
    return list(value)


class Stage:
    """One step of a view."""

    #: Whether documents must carry their frames for this stage.
    frames_needed: bool = False
    #: Whether the stage reorders or drops samples with global knowledge (sort, take).
    name: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.name = cls.__name__
        _STAGES[cls.__name__] = cls

    def _kwargs(self) -> dict[str, Any]:
        raise NotImplementedError  # every concrete stage defines it

    def serialize(self) -> dict[str, Any]:
        """JSON form of the stage."""
        return {"_cls": self.name, "kwargs": self._kwargs()}

    def validate(self, dataset: Dataset) -> None:
        """Raise ``ValueError`` for arguments that don't fit the dataset."""

    def apply(self, docs: Iterable[Doc], dataset: Dataset) -> Iterator[Doc]:
        """Transform a stream of documents."""
        raise NotImplementedError  # every concrete stage defines it

    # which label fields' contents the stage filters: (path, ...)
    def filtered_paths(self, dataset: Dataset) -> list[str]:
        """Label field paths whose label lists this stage may shorten."""
        return []

    def frame_filter(self, dataset: Dataset) -> Callable[[Doc], Doc] | None:
        """A function applying this stage's effect to one frame document, if any."""
        return None

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._kwargs().items())
        return f"{self.name}({args})"


def load_stage(data: dict[str, Any]) -> Stage:
    """Rebuild a stage from :meth:`Stage.serialize` output."""
    cls = _STAGES.get(data.get("_cls", ""))
    if cls is None:
        raise ValueError(f"Unknown view stage {data.get('_cls')!r}")
    return cls._from_kwargs(data.get("kwargs", {}))


# -- label field helpers ---------------------------------------------------------


class LabelPath:
    """A label field as stages see it: ``ground_truth`` or ``frames.detections``."""

    def __init__(self, dataset: Dataset, path: str) -> None:
        self.path = path
        self.is_frame = path.startswith("frames.")
        self.field = path[len("frames.") :] if self.is_frame else path
        schema = dataset._frame_schema if self.is_frame else dataset._sample_schema
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
        names = [n for n, s in dataset._sample_schema.items() if is_label_spec(s)]
        names += [f"frames.{n}" for n, s in dataset._frame_schema.items() if is_label_spec(s)]
    else:
        names = _as_list(fields)
    return [LabelPath(dataset, n) for n in names]


def _frames_in(value: Any) -> bool:
    text = repr(value)
    return "'frames" in text or "'$frames" in text


# -- sample selection ------------------------------------------------------------


class Select(Stage):
    """Only the samples with the given ids (in dataset order, or in the given order)."""

    def __init__(self, sample_ids: Any, ordered: bool = False) -> None:
        ids = _as_list(sample_ids)
        self.sample_ids = [getattr(i, "id", i) for i in ids]
        self.ordered = bool(ordered)

    def _kwargs(self) -> dict[str, Any]:
        return {"sample_ids": self.sample_ids, "ordered": self.ordered}

    @classmethod
    def _from_kwargs(cls, kw: dict[str, Any]) -> Select:
        return cls(kw["sample_ids"], kw.get("ordered", False))

    def apply(self, docs: Iterable[Doc], dataset: Dataset) -> Iterator[Doc]:
        wanted = set(self.sample_ids)
        if not self.ordered:
            return (d for d in docs if d["id"] in wanted)
        found = {d["id"]: d for d in docs if d["id"] in wanted}
        return (found[i] for i in dict.fromkeys(self.sample_ids) if i in found)


class Exclude(Stage):
    """All samples except those with the given ids."""

    def __init__(self, sample_ids: Any) -> None:
        self.sample_ids = [getattr(i, "id", i) for i in _as_list(sample_ids)]

    def _kwargs(self) -> dict[str, Any]:
        return {"sample_ids": self.sample_ids}

    @classmethod
    def _from_kwargs(cls, kw: dict[str, Any]) -> Exclude:
        return cls(kw["sample_ids"])

    def apply(self, docs: Iterable[Doc], dataset: Dataset) -> Iterator[Doc]:
        unwanted = set(self.sample_ids)
        return (d for d in docs if d["id"] not in unwanted)


class Match(Stage):
    """Samples for which an expression is true."""

    def __init__(self, filter: Any) -> None:
        self.filter = to_node(filter)
        self.frames_needed = _frames_in(self.filter)

    def _kwargs(self) -> dict[str, Any]:
        return {"filter": self.filter}

    @classmethod
    def _from_kwargs(cls, kw: dict[str, Any]) -> Match:
        return cls(ViewExpression(kw["filter"]))

    def apply(self, docs: Iterable[Doc], dataset: Dataset) -> Iterator[Doc]:
        test = compile_expr(self.filter)
        return (d for d in docs if test(d, d))


class MatchTags(Stage):
    """Samples having any (or ``all``) of the tags; ``bool=False`` inverts."""

    def __init__(self, tags: Any, bool: bool = True, all: bool = False) -> None:
        self.tags = _as_list(tags)
        self.bool = bool
        self.all = all

    def _kwargs(self) -> dict[str, Any]:
        return {"tags": self.tags, "bool": self.bool, "all": self.all}

    @classmethod
    def _from_kwargs(cls, kw: dict[str, Any]) -> MatchTags:
        return cls(kw["tags"], kw.get("bool", True), kw.get("all", False))

    def apply(self, docs: Iterable[Doc], dataset: Dataset) -> Iterator[Doc]:
        tags = set(self.tags)
        test = tags.issubset if self.all else (lambda t: bool(tags & t))
        return (d for d in docs if test(set(d.get("tags") or [])) == self.bool)


class Exists(Stage):
    """Samples whose field (path) is not ``None``; ``bool=False`` inverts."""

    def __init__(self, field: str, bool: bool = True) -> None:
        self.field = field
        self.bool = bool
        self.frames_needed = field.startswith("frames.")

    def _kwargs(self) -> dict[str, Any]:
        return {"field": self.field, "bool": self.bool}

    @classmethod
    def _from_kwargs(cls, kw: dict[str, Any]) -> Exists:
        return cls(kw["field"], kw.get("bool", True))

    def apply(self, docs: Iterable[Doc], dataset: Dataset) -> Iterator[Doc]:
        def present(doc: Doc) -> bool:
            value = get_path(doc, self.field)
            if self.field.startswith("frames."):
                return any(v is not None for v in value or [])
            return value is not None

        return (d for d in docs if present(d) == self.bool)


class Limit(Stage):
    """The first ``limit`` samples."""

    def __init__(self, limit: int) -> None:
        if not isinstance(limit, int) or limit < 0:
            raise ValueError(f"limit must be a non-negative integer, not {limit!r}")
        self.limit = limit

    def _kwargs(self) -> dict[str, Any]:
        return {"limit": self.limit}

    @classmethod
    def _from_kwargs(cls, kw: dict[str, Any]) -> Limit:
        return cls(kw["limit"])

    def apply(self, docs: Iterable[Doc], dataset: Dataset) -> Iterator[Doc]:
        if self.limit == 0:
            return
        for count, doc in enumerate(docs, 1):
            yield doc
            if count >= self.limit:
                return


class Skip(Stage):
    """All but the first ``skip`` samples."""

    def __init__(self, skip: int) -> None:
        if not isinstance(skip, int) or skip < 0:
            raise ValueError(f"skip must be a non-negative integer, not {skip!r}")
        self.skip = skip

    def _kwargs(self) -> dict[str, Any]:
        return {"skip": self.skip}

    @classmethod
    def _from_kwargs(cls, kw: dict[str, Any]) -> Skip:
        return cls(kw["skip"])

    def apply(self, docs: Iterable[Doc], dataset: Dataset) -> Iterator[Doc]:
        for index, doc in enumerate(docs):
            if index >= self.skip:
                yield doc


class Take(Stage):
    """``size`` random samples; the seed is fixed when the stage is made, so the view is stable."""

    def __init__(self, size: int, seed: Any = None) -> None:
        if not isinstance(size, int) or size < 0:
            raise ValueError(f"take size must be a non-negative integer, not {size!r}")
        self.size = size
        self.seed = seed if seed is not None else random.randrange(2**31)

    def _kwargs(self) -> dict[str, Any]:
        return {"size": self.size, "seed": self.seed}

    @classmethod
    def _from_kwargs(cls, kw: dict[str, Any]) -> Take:
        return cls(kw["size"], kw.get("seed"))

    def apply(self, docs: Iterable[Doc], dataset: Dataset) -> Iterator[Doc]:
        docs = list(docs)
        rng = random.Random(self.seed)
        picked = rng.sample(range(len(docs)), min(self.size, len(docs)))
        return (docs[i] for i in picked)


class SortBy(Stage):
    """Samples ordered by a field or an expression (``None`` first)."""

    def __init__(self, field_or_expr: Any, reverse: bool = False) -> None:
        if isinstance(field_or_expr, str):
            self.field_or_expr: Any = field_or_expr
        else:
            self.field_or_expr = {"$expr": to_node(field_or_expr)}
        self.reverse = bool(reverse)
        self.frames_needed = _frames_in(self.field_or_expr)

    def _kwargs(self) -> dict[str, Any]:
        return {"field_or_expr": self.field_or_expr, "reverse": self.reverse}

    @classmethod
    def _from_kwargs(cls, kw: dict[str, Any]) -> SortBy:
        value = kw["field_or_expr"]
        if isinstance(value, dict):
            value = ViewExpression(value["$expr"])
        return cls(value, kw.get("reverse", False))

    def apply(self, docs: Iterable[Doc], dataset: Dataset) -> Iterator[Doc]:
        if isinstance(self.field_or_expr, str):
            path = self.field_or_expr

            def key_of(doc: Doc) -> Any:
                return get_path(doc, path)
        else:
            evaluator = compile_expr(self.field_or_expr["$expr"])

            def key_of(doc: Doc) -> Any:
                return evaluator(doc, doc)

        keyed = [(_sort_key(key_of(d)), i, d) for i, d in enumerate(docs)]
        keyed.sort(key=lambda t: t[0], reverse=self.reverse)  # stable: ties keep view order
        return (d for _, _, d in keyed)


def _sort_key(value: Any) -> tuple[int, Any]:
    """Total order across types: None < numbers < strings < others (by repr)."""
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, (int, float)):
        return (1, value)
    if isinstance(value, str):
        return (2, value)
    return (3, repr(value))


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
        self.labels = [dict(x) for x in _as_list(labels)]
        self.ids = list(_as_list(ids))
        self.tags = list(_as_list(tags))
        self.filter = None if filter is None else to_node(filter)

    def kwargs(self) -> dict[str, Any]:
        return {"labels": self.labels, "ids": self.ids, "tags": self.tags, "filter": self.filter}

    def predicate(self) -> Callable[[Doc, Doc], bool]:
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
        fields = {x["field"] for x in self.labels if x.get("field")}
        return sorted(fields) if fields else None


class MatchLabels(Stage):
    """Samples with at least one label meeting every given criterion (labels unchanged)."""

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
        self.fields = None if fields is None else _as_list(fields)
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
        self.fields = None if fields is None else _as_list(fields)
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
            _drop_fields(doc, hidden)
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


# -- fields ----------------------------------------------------------------------


def _drop_fields(doc: Doc, paths: Iterable[str]) -> None:
    for path in paths:
        if path.startswith("frames."):
            name = path[len("frames.") :]
            for frame in doc.get("frames") or []:
                frame.pop(name, None)
        else:
            doc.pop(path, None)


class _FieldSelection(Stage):
    """select_fields / exclude_fields."""

    _SELECT: ClassVar[bool] = True

    def __init__(self, field_names: Any = None) -> None:
        self.field_names = _as_list(field_names)

    def _kwargs(self) -> dict[str, Any]:
        return {"field_names": self.field_names}

    @classmethod
    def _from_kwargs(cls, kw: dict[str, Any]) -> _FieldSelection:
        return cls(kw.get("field_names"))

    def validate(self, dataset: Dataset) -> None:
        for name in self.field_names:
            is_frame = name.startswith("frames.")
            schema = dataset._frame_schema if is_frame else dataset._sample_schema
            base = name[len("frames.") :] if is_frame else name
            if base not in schema:
                raise ValueError(f"Dataset '{dataset.name}' has no field '{name}'")
            if not self._SELECT and base in ("id", "filepath", "tags", "metadata", "frame_number"):
                raise ValueError(f"Cannot exclude the built-in field '{name}'")

    def hidden(self, dataset: Dataset) -> list[str]:
        """Paths of the fields this stage hides."""
        if not self._SELECT:
            return list(self.field_names)
        keep = set(self.field_names)
        builtin = {"id", "filepath", "tags", "metadata", "frame_number"}
        out = [n for n in dataset._sample_schema if n not in keep and n not in builtin]
        out += [
            f"frames.{n}"
            for n in dataset._frame_schema
            if f"frames.{n}" not in keep and n not in builtin
        ]
        return out

    def apply(self, docs: Iterable[Doc], dataset: Dataset) -> Iterator[Doc]:
        hidden = self.hidden(dataset)
        for doc in docs:
            _drop_fields(doc, hidden)
            yield doc

    def frame_filter(self, dataset: Dataset) -> Callable[[Doc], Doc] | None:
        hidden = [h[len("frames.") :] for h in self.hidden(dataset) if h.startswith("frames.")]
        if not hidden:
            return None

        def apply(frame: Doc) -> Doc:
            for name in hidden:
                frame.pop(name, None)
            return frame

        return apply


class SelectFields(_FieldSelection):
    """Only the named fields (plus the built-in ones)."""

    _SELECT = True


class ExcludeFields(_FieldSelection):
    """Every field except the named ones."""

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
        self.frames_needed = field.startswith("frames.") or _frames_in(self.expr)

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
