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

if TYPE_CHECKING:
    from labelloop.core.dataset import Dataset

Doc = dict[str, Any]
_STAGES: dict[str, type[Stage]] = {}


def as_list(value: Any) -> list[Any]:
    """``value`` as a list (``None`` -> ``[]``, a string or dict -> ``[value]``)."""
    if value is None:
        return []
    if isinstance(value, (str, dict)):
        return [value]
    return list(value)


class Stage:
    """One step of a view."""

    #: Whether documents must carry their frames for this stage.
    frames_needed: bool = False
    #: Whether the stage looks at one document at a time (else it orders or counts
    #: samples and works on id lists: see ``core/planner.py``).
    per_doc: bool = True
    #: Whether the stage only drops samples (never changes a document).
    drops_only: bool = False
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
        """Transform a stream of documents (per-document stages)."""
        raise NotImplementedError  # every per-document stage defines it

    def pick(self, ids: list[str]) -> list[str]:
        """Choose and order ids (stages that are not per-document, except ``SortBy``)."""
        raise NotImplementedError  # Limit, Skip, Take and ordered Select define it

    def sql_step(self) -> dict[str, Any] | None:
        """The stage as a step the store may run as SQL (``Store.view_ids``), if it has one."""
        return None

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
    """Rebuild a stage from :meth:`Stage.serialize` output (the stage's module must have been
    imported, so its class registered: ``core/dataset.py`` imports every stage module)."""
    cls = _STAGES.get(data.get("_cls", ""))
    if cls is None:
        raise ValueError(f"Unknown view stage {data.get('_cls')!r}")
    return cls._from_kwargs(data.get("kwargs", {}))


def frames_in(value: Any) -> bool:
    """Whether a serialized expression refers to ``frames`` (so documents need frames)."""
    text = repr(value)
    return "'frames" in text or "'$frames" in text


# -- sample selection ------------------------------------------------------------


class Select(Stage):
    """Only the samples with the given ids (in dataset order, or in the given order)."""

    drops_only = True

    def __init__(self, sample_ids: Any, ordered: bool = False) -> None:
        ids = as_list(sample_ids)
        self.sample_ids = [getattr(i, "id", i) for i in ids]
        self.ordered = bool(ordered)

    def _kwargs(self) -> dict[str, Any]:
        return {"sample_ids": self.sample_ids, "ordered": self.ordered}

    @classmethod
    def _from_kwargs(cls, kw: dict[str, Any]) -> Select:
        return cls(kw["sample_ids"], kw.get("ordered", False))

    @property
    def per_doc(self) -> bool:  # type: ignore[override]
        return not self.ordered

    def apply(self, docs: Iterable[Doc], dataset: Dataset) -> Iterator[Doc]:
        wanted = set(self.sample_ids)
        return (d for d in docs if d["id"] in wanted)

    def sql_step(self) -> dict[str, Any] | None:
        return None if self.ordered else {"kind": "select", "ids": self.sample_ids}

    def pick(self, ids: list[str]) -> list[str]:
        """The selected ids among ``ids`` (given order when ``ordered``, else ``ids``' order)."""
        if self.ordered:
            present = set(ids)
            return [i for i in dict.fromkeys(self.sample_ids) if i in present]
        wanted = set(self.sample_ids)
        return [i for i in ids if i in wanted]


class Exclude(Stage):
    """All samples except those with the given ids."""

    drops_only = True

    def __init__(self, sample_ids: Any) -> None:
        self.sample_ids = [getattr(i, "id", i) for i in as_list(sample_ids)]

    def _kwargs(self) -> dict[str, Any]:
        return {"sample_ids": self.sample_ids}

    @classmethod
    def _from_kwargs(cls, kw: dict[str, Any]) -> Exclude:
        return cls(kw["sample_ids"])

    def sql_step(self) -> dict[str, Any] | None:
        return {"kind": "exclude", "ids": self.sample_ids}

    def apply(self, docs: Iterable[Doc], dataset: Dataset) -> Iterator[Doc]:
        unwanted = set(self.sample_ids)
        return (d for d in docs if d["id"] not in unwanted)


class Match(Stage):
    """Samples for which an expression is true."""

    drops_only = True

    def __init__(self, filter: Any) -> None:
        self.filter = to_node(filter)
        self.frames_needed = frames_in(self.filter)

    def _kwargs(self) -> dict[str, Any]:
        return {"filter": self.filter}

    @classmethod
    def _from_kwargs(cls, kw: dict[str, Any]) -> Match:
        return cls(ViewExpression(kw["filter"]))

    def sql_step(self) -> dict[str, Any] | None:
        return {"kind": "match", "expr": self.filter}

    def apply(self, docs: Iterable[Doc], dataset: Dataset) -> Iterator[Doc]:
        test = compile_expr(self.filter)
        return (d for d in docs if test(d, d))


class MatchTags(Stage):
    """Samples having any (or ``all``) of the tags; ``bool=False`` inverts."""

    drops_only = True

    def __init__(self, tags: Any, bool: bool = True, all: bool = False) -> None:
        self.tags = as_list(tags)
        self.bool = bool
        self.all = all

    def _kwargs(self) -> dict[str, Any]:
        return {"tags": self.tags, "bool": self.bool, "all": self.all}

    @classmethod
    def _from_kwargs(cls, kw: dict[str, Any]) -> MatchTags:
        return cls(kw["tags"], kw.get("bool", True), kw.get("all", False))

    def sql_step(self) -> dict[str, Any] | None:
        return {"kind": "match_tags", "tags": self.tags, "bool": self.bool, "all": self.all}

    def apply(self, docs: Iterable[Doc], dataset: Dataset) -> Iterator[Doc]:
        tags = set(self.tags)
        test = tags.issubset if self.all else (lambda t: bool(tags & t))
        return (d for d in docs if test(set(d.get("tags") or [])) == self.bool)


class Exists(Stage):
    """Samples whose field (path) is not ``None``; ``bool=False`` inverts."""

    drops_only = True

    def __init__(self, field: str, bool: bool = True) -> None:
        self.field = field
        self.bool = bool
        self.frames_needed = field.startswith("frames.")

    def _kwargs(self) -> dict[str, Any]:
        return {"field": self.field, "bool": self.bool}

    @classmethod
    def _from_kwargs(cls, kw: dict[str, Any]) -> Exists:
        return cls(kw["field"], kw.get("bool", True))

    def sql_step(self) -> dict[str, Any] | None:
        return {"kind": "exists", "field": self.field, "bool": self.bool}

    def apply(self, docs: Iterable[Doc], dataset: Dataset) -> Iterator[Doc]:
        def present(doc: Doc) -> bool:
            value = get_path(doc, self.field)
            if self.field.startswith("frames."):
                return any(v is not None for v in value or [])
            return value is not None

        return (d for d in docs if present(d) == self.bool)


class Limit(Stage):
    """The first ``limit`` samples."""

    per_doc = False

    def __init__(self, limit: int) -> None:
        if not isinstance(limit, int) or limit < 0:
            raise ValueError(f"limit must be a non-negative integer, not {limit!r}")
        self.limit = limit

    def _kwargs(self) -> dict[str, Any]:
        return {"limit": self.limit}

    @classmethod
    def _from_kwargs(cls, kw: dict[str, Any]) -> Limit:
        return cls(kw["limit"])

    def pick(self, ids: list[str]) -> list[str]:
        """The first ``limit`` ids."""
        return ids[: self.limit]


class Skip(Stage):
    """All but the first ``skip`` samples."""

    per_doc = False

    def __init__(self, skip: int) -> None:
        if not isinstance(skip, int) or skip < 0:
            raise ValueError(f"skip must be a non-negative integer, not {skip!r}")
        self.skip = skip

    def _kwargs(self) -> dict[str, Any]:
        return {"skip": self.skip}

    @classmethod
    def _from_kwargs(cls, kw: dict[str, Any]) -> Skip:
        return cls(kw["skip"])

    def pick(self, ids: list[str]) -> list[str]:
        """All but the first ``skip`` ids."""
        return ids[self.skip :]


class Take(Stage):
    """``size`` random samples; the seed is fixed when the stage is made, so the view is stable."""

    per_doc = False

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

    def pick(self, ids: list[str]) -> list[str]:
        """``size`` ids chosen at random (reproducibly, from the stage's seed)."""
        rng = random.Random(self.seed)
        return [ids[i] for i in rng.sample(range(len(ids)), min(self.size, len(ids)))]


class SortBy(Stage):
    """Samples ordered by a field or an expression (``None`` first)."""

    per_doc = False

    def __init__(self, field_or_expr: Any, reverse: bool = False) -> None:
        if isinstance(field_or_expr, str):
            self.field_or_expr: Any = field_or_expr
        else:
            self.field_or_expr = {"$expr": to_node(field_or_expr)}
        self.reverse = bool(reverse)
        self.frames_needed = frames_in(self.field_or_expr)

    def _kwargs(self) -> dict[str, Any]:
        return {"field_or_expr": self.field_or_expr, "reverse": self.reverse}

    @classmethod
    def _from_kwargs(cls, kw: dict[str, Any]) -> SortBy:
        value = kw["field_or_expr"]
        if isinstance(value, dict):
            value = ViewExpression(value["$expr"])
        return cls(value, kw.get("reverse", False))

    def sql_step(self) -> dict[str, Any] | None:
        key = self.field_or_expr
        return {
            "kind": "sort_by",
            "key": key if isinstance(key, str) else key["$expr"],
            "reverse": self.reverse,
        }

    def order(self, docs: Iterable[Doc]) -> list[str]:
        """Ids of ``docs`` in sorted order (only keys and ids are kept in memory)."""
        if isinstance(self.field_or_expr, str):
            path = self.field_or_expr

            def key_of(doc: Doc) -> Any:
                return get_path(doc, path)
        else:
            evaluator = compile_expr(self.field_or_expr["$expr"])

            def key_of(doc: Doc) -> Any:
                return evaluator(doc, doc)

        keyed = [(_sort_key(key_of(d)), d["id"]) for d in docs]
        keyed.sort(key=lambda t: t[0], reverse=self.reverse)  # stable: ties keep view order
        return [sample_id for _, sample_id in keyed]


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


# -- fields ----------------------------------------------------------------------


def drop_fields(doc: Doc, paths: Iterable[str]) -> None:
    """Remove fields (``x`` or ``frames.x``) from a sample document."""
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
        self.field_names = as_list(field_names)

    def _kwargs(self) -> dict[str, Any]:
        return {"field_names": self.field_names}

    @classmethod
    def _from_kwargs(cls, kw: dict[str, Any]) -> _FieldSelection:
        return cls(kw.get("field_names"))

    def validate(self, dataset: Dataset) -> None:
        for name in self.field_names:
            is_frame = name.startswith("frames.")
            schema = dataset.frame_schema if is_frame else dataset.sample_schema
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
        out = [n for n in dataset.sample_schema if n not in keep and n not in builtin]
        out += [
            f"frames.{n}"
            for n in dataset.frame_schema
            if f"frames.{n}" not in keep and n not in builtin
        ]
        return out

    def apply(self, docs: Iterable[Doc], dataset: Dataset) -> Iterator[Doc]:
        hidden = self.hidden(dataset)
        for doc in docs:
            drop_fields(doc, hidden)
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
