"""Evaluating a collection from its plain documents, without building samples.

The per-sample loop (``iter_samples(autosave=True)``) decodes every label into
an object and saves every sample back. Here the view's documents are read as
plain dicts, each image is matched by the same :class:`ObjectEvaluator`, and
what an ``eval_key`` writes goes out in bulk: the three attributes of every
evaluated label in place (``Store.update_label_values``, changed labels only)
and the three counts into the sample documents. The results, the labels'
attributes and the counts are the ones the per-sample loop gives; it stays the
path for what this one does not cover (frame fields, instance masks, views
whose samples save their own way).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from labelloop.core import editing, labelops
from labelloop.core.planner import iter_docs
from labelloop.evaluation.objects import EvalSettings, ObjectEvaluator
from labelloop.progress import bar

_MISSING = object()


class LabelDoc(dict):
    """A stored label's document, read the way the evaluator reads a ``Label``."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self.get(name)  # declared attributes default to None, as on labels

    def get_field(self, name: str, default: Any = None) -> Any:
        return self.get(name, default)

    def has_field(self, name: str) -> bool:
        return name in self

    def clear_field(self, name: str) -> None:
        self.pop(name, None)


def applies(collection: Any, settings: EvalSettings) -> bool:
    """Whether :func:`evaluate_docs` can evaluate ``collection`` with ``settings``."""
    frames = settings.pred_field.startswith("frames.")
    return not frames and not settings.use_masks and editing.in_place(collection)


def _items(label: dict[str, Any] | None, attr: str) -> list[LabelDoc]:
    if label is None:
        return []
    return [LabelDoc(item) for item in label.get(attr) or []]


def evaluate_docs(
    collection: Any,
    settings: EvalSettings,
    eval_key: str | None,
    attrs: tuple[str, str],
    progress: bool = False,
) -> ObjectEvaluator:
    """Evaluate the sample-level fields of ``collection``; ``attrs``: the list attribute of
    the ground truth and of the predicted field (``"detections"``)."""
    evaluator = ObjectEvaluator(settings, eval_key)
    gf, pf = settings.gt_field, settings.pred_field
    names = (eval_key, f"{eval_key}_id", f"{eval_key}_iou")
    edited: dict[str, dict[str, LabelDoc]] = {gf: {}, pf: {}}
    counts: list[list[Any]] = [[], [], [], []]  # ids, tp, fp, fn
    docs: Iterable[dict[str, Any]] = iter_docs(collection)
    if progress:
        docs = bar(docs, total=collection.count(), unit="sample")
    for doc in docs:
        gts, preds = _items(doc.get(gf), attrs[0]), _items(doc.get(pf), attrs[1])
        objects = [(pf, obj) for obj in preds] + [(gf, obj) for obj in gts]
        before = [[obj.get(name, _MISSING) for name in names] for _, obj in objects]
        tp, fp, fn = evaluator.evaluate(gts, preds)
        if eval_key is None:
            continue
        for column, value in zip(counts, (doc["id"], int(tp), int(fp), int(fn))):
            column.append(value)
        for (field, obj), old in zip(objects, before):
            if old != [obj.get(name, _MISSING) for name in names]:
                edited[field][obj["id"]] = obj  # the stored document, edited in Python
    if eval_key is not None:
        for field, changed in edited.items():
            rows = ((i, {k: v for k, v in d.items() if k != "id"}) for i, d in changed.items())
            labelops.write_label_data(collection.dataset, field, rows)
        suffixes = ("tp", "fp", "fn")
        columns = {f"{eval_key}_{s}": column for s, column in zip(suffixes, counts[1:])}
        editing.set_sample_fields(collection, counts[0], columns)
    return evaluator
