"""Downloaded labels whose type the run's schema did not ask for.

``unexpected`` is ``"prompt"`` (ask on a terminal which field gets them),
``"ignore"``, ``"keep"`` (a field named after the return type), ``"return"``
(hand them back to the caller), a dict ``{return_type: field}`` or a list of
return types to keep. Targets are upserted by label id, so loading twice does
not duplicate them.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from labelloop.annotation.collection import field_spec, get_value, split_path
from labelloop.annotation.diff import items_of, loaded_id
from labelloop.core import labels as fol

logger = logging.getLogger(__name__)

MODES = ("prompt", "ignore", "keep", "return")
#: Container label class of each return type (``None``: scalars).
CONTAINERS: dict[str, type[fol.Label] | None] = {
    "classification": fol.Classifications,
    "classifications": fol.Classifications,
    "detections": fol.Detections,
    "polylines": fol.Polylines,
    "keypoints": fol.Keypoints,
    "segmentation": fol.Segmentation,
    "scalar": None,
}


class UnexpectedLabels:
    """Routes unexpected labels for one ``load_annotations`` call."""

    def __init__(self, mode: Any, dataset: Any, schema: dict[str, Any], dry_run: bool) -> None:
        self.mode = validate_mode(mode)
        #: Label ids owned by the run's fields; unexpected copies of them get fresh ids.
        self.taken: set[str] = set()
        self._dataset = dataset
        self._schema = schema
        self._dry_run = dry_run
        self._targets: dict[tuple[str, str], str | None] = {}
        self.returned: dict[str, dict[str, dict[str, Any]]] = {}
        #: ``{field: {return_type: {"labels": n, "action": str}}}``
        self.summary: dict[str, dict[str, dict[str, Any]]] = {}

    def handle(self, sample: Any, field: str, return_type: str, value: Any) -> bool:
        """Deal with ``value`` (one sample's labels of ``return_type`` in ``field``);
        whether the sample was written to."""
        count = _count(field, return_type, value)
        spec = self._schema.get(field, {})
        if spec.get("existing_field") and not spec.get("allow_additions", True):
            self._note(field, return_type, count, "refused: allow_additions=False")
            return False
        if self.mode == "return":
            self.returned.setdefault(field, {}).setdefault(return_type, {})[sample.id] = value
            self._note(field, return_type, count, "returned")
            return False
        if self._dry_run and self.mode == "prompt":
            self._note(field, return_type, count, "would prompt for a field")
            return False
        target = self._target(field, return_type)
        if target is None:
            self._note(field, return_type, count, "ignored")
            return False
        self._note(field, return_type, count, f"stored in {target!r}")
        if self._dry_run:
            return False
        _upsert(sample, target, return_type, value, self.taken)
        return True

    def _note(self, field: str, return_type: str, count: int, action: str) -> None:
        entry = self.summary.setdefault(field, {}).setdefault(
            return_type, {"labels": 0, "action": action}
        )
        entry["labels"] += count

    def _target(self, field: str, return_type: str) -> str | None:
        key = (field, return_type)
        if key not in self._targets:
            self._targets[key] = self._choose(field, return_type)
            if self._targets[key] is None:
                logger.info("Skipping unexpected %r labels in field %r", return_type, field)
        return self._targets[key]

    def _choose(self, field: str, return_type: str) -> str | None:
        is_frame = split_path(field)[0]
        if self.mode == "ignore":
            return None
        if self.mode == "keep" or isinstance(self.mode, list):
            if isinstance(self.mode, list) and return_type not in self.mode:
                return None
            name = "classifications" if return_type == "classification" else return_type
        elif isinstance(self.mode, dict):
            name = self.mode.get(return_type)
            if name is None:
                return None
        else:
            return self._prompt(field, return_type)
        target = f"frames.{name}" if is_frame and not name.startswith("frames.") else name
        self._check_target(target, return_type)
        return target

    def _check_target(self, target: str, return_type: str) -> None:
        if target in self._schema:
            raise ValueError(
                f"Cannot store unexpected {return_type!r} labels in {target!r}, a field of this "
                "run; map them to another field with unexpected={return_type: 'field'}"
            )
        spec = field_spec(self._dataset, target)
        cls = CONTAINERS[return_type]
        compatible = spec is None or (
            spec.get("cls") == cls.__name__ if cls else spec.get("kind") != "label"
        )
        if not compatible:
            raise ValueError(
                f"Field {target!r} holds {spec.get('cls') or spec.get('kind')} values, so it "
                f"cannot take unexpected {return_type!r} labels; pass "
                f"unexpected={{{return_type!r}: 'another_field'}}"
            )

    def _prompt(self, field: str, return_type: str) -> str | None:
        if not (sys.stdin and sys.stdin.isatty()):
            raise ValueError(
                f"Found {return_type!r} labels in field {field!r} that the run's schema does not "
                "expect, and there is no terminal to ask where to put them; pass "
                "unexpected='ignore', 'keep', 'return' or {return_type: field} to load_annotations"
            )
        while True:
            name = input(
                f"Found unexpected {return_type!r} labels in field {field!r}. Field to store "
                "them in (empty to skip): "
            ).strip()
            if not name:
                return None
            is_frame = split_path(field)[0]
            target = f"frames.{name}" if is_frame and not name.startswith("frames.") else name
            try:
                self._check_target(target, return_type)
            except ValueError as err:
                logger.warning("%s", err)
                continue
            return target


def validate_mode(mode: Any) -> Any:
    """Check ``unexpected`` before anything is downloaded."""
    if isinstance(mode, str):
        if mode not in MODES:
            raise ValueError(f"unexpected must be one of {list(MODES)}, not {mode!r}")
        return mode
    if isinstance(mode, dict):
        for return_type, name in mode.items():
            if return_type not in CONTAINERS:
                raise ValueError(
                    f"unexpected: unknown return type {return_type!r}; use {list(CONTAINERS)}"
                )
            if not isinstance(name, str) or not name.replace(".", "_").isidentifier():
                raise ValueError(f"unexpected[{return_type!r}] must be a field name, not {name!r}")
        return dict(mode)
    if isinstance(mode, (list, tuple)):
        bad = [t for t in mode if t not in CONTAINERS]
        if bad:
            raise ValueError(f"unexpected: unknown return type(s) {bad}; use {list(CONTAINERS)}")
        return list(mode)
    raise ValueError(
        f"unexpected must be one of {list(MODES)}, a dict {{return_type: field}} or a list of "
        f"return types, not {mode!r}"
    )


def _count(field: str, return_type: str, value: Any) -> int:
    per_frame = value.values() if split_path(field)[0] and isinstance(value, dict) else [value]
    if return_type == "scalar":
        return sum(v is not None for v in per_frame)
    return sum(len(v) for v in per_frame if isinstance(v, dict))


def _upsert(sample: Any, target: str, return_type: str, value: Any, taken: set[str]) -> None:
    """Add ``value`` to ``target``, replacing labels with the same id."""
    is_frame, name = split_path(target)
    if is_frame:
        for number, per_frame in value.items():
            frame = sample.frames[number]
            frame[name] = _merged(get_value(frame, name), return_type, per_frame, target, taken)
    else:
        sample[name] = _merged(get_value(sample, name), return_type, value, target, taken)


def _merged(current: Any, return_type: str, value: Any, target: str, taken: set[str]) -> Any:
    cls = CONTAINERS[return_type]
    if cls is None:
        return value
    labels = {}
    for label_id, label in value.items():
        copy = label.copy()
        copy.set_field("id", loaded_id(label_id, target) if label_id in taken else label_id)
        labels[copy.id] = copy
    if not cls.list_field:
        return next(iter(labels.values()), current)
    items = {item.id: item for item in items_of(current)}
    items.update(labels)
    out = current.copy() if current is not None else cls()
    out.set_field(cls.list_field, list(items.values()))
    return out
