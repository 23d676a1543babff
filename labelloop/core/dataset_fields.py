"""The field-schema methods of :class:`~labelloop.core.dataset.Dataset` (a mixin).

Declaring, deleting and renaming sample and frame fields: each change updates
the stored rows and the dataset's schema document in one transaction.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from labelloop.core.fields import (
    FRAME_BUILTINS,
    SAMPLE_BUILTINS,
    check_value,
    example,
    is_label_spec,
    spec_from_type,
)


class FieldSchema:
    """Sample/frame field declaration, deletion and renaming for datasets."""

    def _declare_field(self, name: str, spec: dict[str, Any], frame: bool = False) -> None:
        def declare(doc: dict[str, Any]) -> None:
            schema = doc["frame_fields" if frame else "sample_fields"]
            check_value(name, schema.get(name), example(spec))  # declared elsewhere meanwhile?
            schema.setdefault(name, spec)

        self._update_schema(declare)

    def get_field_schema(self) -> dict[str, dict[str, Any]]:
        """``{field: spec}`` of sample fields (spec: ``kind`` and, for labels, ``cls``)."""
        return copy.deepcopy(self.sample_schema)

    def get_frame_field_schema(self) -> dict[str, dict[str, Any]] | None:
        """``{field: spec}`` of frame fields (``None`` unless this is a video dataset)."""
        return copy.deepcopy(self.frame_schema) if self.media_type == "video" else None

    def add_sample_field(self, field_name: str, ftype: Any) -> None:
        """Declare a sample field: ``ftype`` is a Python type, kind name or Label class."""
        self._add_field(field_name, ftype, frame=False)

    def add_frame_field(self, field_name: str, ftype: Any) -> None:
        """Declare a frame field (see :meth:`add_sample_field`)."""
        self._add_field(field_name, ftype, frame=True)

    def _add_field(self, name: str, ftype: Any, frame: bool) -> None:
        spec = spec_from_type(ftype)
        schema = self.frame_schema if frame else self.sample_schema
        if name in schema:
            if schema[name] != spec:
                raise ValueError(
                    f"Field '{name}' already exists with type {schema[name]}; cannot redeclare it "
                    f"as {spec}"
                )
            return
        if not name.isidentifier():
            raise ValueError(f"Field names must be identifiers, not {name!r}")
        self._declare_field(name, spec, frame=frame)

    def delete_sample_field(self, field_name: str, error_level: int = 0) -> None:
        """Delete a sample field and its values (labels included) from every sample."""
        self._delete_field(field_name, frame=False, error_level=error_level)

    def delete_sample_fields(self, field_names: Iterable[str]) -> None:
        """Delete several sample fields."""
        for name in list(field_names):
            self.delete_sample_field(name)

    def delete_frame_field(self, field_name: str, error_level: int = 0) -> None:
        """Delete a frame field and its values from every frame."""
        self._delete_field(field_name, frame=True, error_level=error_level)

    def _delete_field(self, name: str, frame: bool, error_level: int) -> None:
        schema = self.frame_schema if frame else self.sample_schema
        builtins = FRAME_BUILTINS if frame else SAMPLE_BUILTINS
        kind = "frame" if frame else "sample"
        if name in builtins:
            raise ValueError(f"Cannot delete the built-in {kind} field '{name}'")
        if name not in schema:
            if error_level:
                raise ValueError(f"Dataset '{self.name}' has no {kind} field '{name}'")
            return
        with self.transaction():
            if is_label_spec(schema[name]):
                self._store.delete_field_labels(self._id, name, frames=frame)
            elif frame:
                self._store.update_frame_docs(self._id, remove=name)
            else:
                self._store.update_sample_docs(self._id, remove=name)
            self._update_schema(
                lambda doc: doc["frame_fields" if frame else "sample_fields"].pop(name, None)
            )
            self._move_indexes(("frames." if frame else "") + name)

    def rename_sample_field(self, field_name: str, new_field_name: str) -> None:
        """Rename a sample field everywhere."""
        self._rename_field(field_name, new_field_name, frame=False)

    def rename_frame_field(self, field_name: str, new_field_name: str) -> None:
        """Rename a frame field everywhere."""
        self._rename_field(field_name, new_field_name, frame=True)

    def _rename_field(self, old: str, new: str, frame: bool) -> None:
        schema = self.frame_schema if frame else self.sample_schema
        builtins = FRAME_BUILTINS if frame else SAMPLE_BUILTINS
        if old in builtins or old not in schema:
            raise ValueError(f"Cannot rename '{old}': not a custom field of '{self.name}'")
        if new in schema or not new.isidentifier():
            raise ValueError(f"Cannot rename '{old}' to {new!r}: name taken or not an identifier")
        with self.transaction():
            if is_label_spec(schema[old]):
                self._store.rename_field_labels(self._id, old, new, frames=frame)
            elif frame:
                self._store.update_frame_docs(self._id, rename=(old, new))
            else:
                self._store.update_sample_docs(self._id, rename=(old, new))

            def rename(doc: dict[str, Any]) -> None:
                fields = doc["frame_fields" if frame else "sample_fields"]
                fields[new] = fields.pop(old)
                for prop in ("classes", "mask_targets", "skeletons"):
                    if old in doc[prop]:
                        doc[prop][new] = doc[prop].pop(old)
                    if old in self._doc[prop]:
                        self._doc[prop][new] = self._doc[prop].pop(old)

            self._update_schema(rename)
            prefix = "frames." if frame else ""
            self._move_indexes(prefix + old, prefix + new)
