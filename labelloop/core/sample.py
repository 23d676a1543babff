"""Samples and video frames: field bags that save themselves through their dataset.

A sample read from a dataset remembers which label ids it was given per field
(``_seen``); saving writes its current labels and deletes only the seen ones
that disappeared, so labels hidden by a view's filter are never touched.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from labelloop.core.docs import doc_to_value, value_to_doc
from labelloop.core.fields import FRAME_BUILTINS, SAMPLE_BUILTINS, check_value
from labelloop.core.ids import new_id
from labelloop.core.labels import Label
from labelloop.core.metadata import Metadata

if TYPE_CHECKING:
    from labelloop.core.dataset import Dataset


def media_type_of(filepath: str) -> str:
    """``"video"`` for video files (by extension/MIME type), else ``"image"``."""
    mime, _ = mimetypes.guess_type(filepath)
    if mime and mime.startswith("video/"):
        return "video"
    ext = os.path.splitext(filepath)[1].lower()
    return "video" if ext in (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v") else "image"


class Document:
    """Fields reachable as ``doc["name"]`` and ``doc.name``."""

    _BUILTINS: ClassVar[dict[str, dict[str, Any]]] = {}

    def __init__(self, **fields: Any) -> None:
        object.__setattr__(self, "_fields", {})
        object.__setattr__(self, "_id", None)
        object.__setattr__(self, "_seen", {})  # field -> {label id: position} as loaded
        object.__setattr__(self, "_filtered", set())  # fields whose labels a view filtered
        for name, value in fields.items():
            self[name] = value

    # the schema this document lives under (None when not in a dataset)
    def _schema(self) -> dict[str, dict[str, Any]] | None:
        return None

    @property
    def id(self) -> str | None:
        """The id (``None`` until added to a dataset)."""
        return self._id

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"{type(self).__name__} has no field '{name}'") from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_") or isinstance(getattr(type(self), name, None), property):
            object.__setattr__(self, name, value)
        else:
            self[name] = value

    def __delattr__(self, name: str) -> None:
        self.clear_field(name)

    def __getitem__(self, name: str) -> Any:
        if name == "id":
            return self._id
        if name in self._fields:
            return self._fields[name]
        schema = self._schema()
        if name in self._BUILTINS or (schema is not None and name in schema):
            return None
        raise KeyError(name)

    def __setitem__(self, name: str, value: Any) -> None:
        if name == "id" or name.startswith("_"):
            raise ValueError(f"Field name {name!r} is reserved")
        if "." in name:
            raise ValueError(f"Field names cannot contain '.': {name!r}")
        if isinstance(value, tuple):
            value = list(value)
        self._check(name, value)
        self._fields[name] = value

    def _check(self, name: str, value: Any) -> None:
        schema = self._schema()
        if schema is not None:
            check_value(name, schema.get(name), value)

    def has_field(self, name: str) -> bool:
        """Whether the document has (or its dataset declares) field ``name``."""
        try:
            self[name]
        except KeyError:
            return False
        return True

    def get_field(self, name: str) -> Any:
        """Value of ``name`` (dotted paths reach into labels)."""
        head, _, rest = name.partition(".")
        value = self[head]
        for part in rest.split(".") if rest else []:
            if isinstance(value, list):
                value = [getattr(v, part, None) for v in value]
            else:
                value = getattr(value, part, None)
        return value

    def set_field(self, name: str, value: Any) -> None:
        """Set field ``name`` to ``value``."""
        self[name] = value

    def clear_field(self, name: str) -> None:
        """Set field ``name`` to ``None``."""
        if name in self._BUILTINS:
            raise ValueError(f"Cannot clear the built-in field '{name}'")
        self._fields[name] = None

    @property
    def field_names(self) -> tuple[str, ...]:
        """Names of the fields this document holds."""
        schema = self._schema() or {}
        names = ["id", *self._BUILTINS.keys() - {"id"}, *schema, *self._fields]
        return tuple(dict.fromkeys(n for n in names))

    def _load_doc(self, doc: dict[str, Any]) -> None:
        """Fill fields from a plain document (as the view engine produces)."""
        object.__setattr__(self, "_id", doc.get("id"))
        fields = self._fields
        for name, value in doc.items():
            if name in ("id", "frames"):
                continue
            value = doc_to_value(value)
            fields[name] = value
            if isinstance(value, Label):
                seen = {value.id: -1}
                seen.update({item.id: i for i, item in enumerate(value.items())})
                self._seen[name] = seen

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the fields (labels and metadata as dicts)."""
        out = {"id": self._id}
        out.update({k: value_to_doc(v) for k, v in self._fields.items()})
        return out

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.to_dict() == other.to_dict()  # type: ignore[union-attr]

    __hash__ = None  # type: ignore[assignment]


class Sample(Document):
    """One image or video with its fields; ``Sample(filepath=..., **fields)``."""

    _BUILTINS = SAMPLE_BUILTINS

    def __init__(
        self,
        filepath: str,
        tags: list[str] | None = None,
        metadata: Metadata | None = None,
        **fields: Any,
    ) -> None:
        if not isinstance(filepath, str) or not filepath:
            raise ValueError(f"Sample filepath must be a non-empty string, not {filepath!r}")
        object.__setattr__(self, "_dataset", None)
        object.__setattr__(self, "_frames", None)
        object.__setattr__(self, "_partial", False)  # loaded with some fields excluded
        if "://" not in filepath:  # local paths are made absolute; URLs are kept as given
            filepath = os.path.abspath(os.path.expanduser(filepath))
        super().__init__(filepath=filepath)
        self._fields["tags"] = list(tags or [])
        self._fields["metadata"] = metadata
        for name, value in fields.items():
            self[name] = value

    def _schema(self) -> dict[str, dict[str, Any]] | None:
        return None if self._dataset is None else self._dataset.sample_schema

    @property
    def dataset(self) -> Dataset | None:
        """The dataset the sample belongs to (``None`` before it is added)."""
        return self._dataset

    @property
    def in_dataset(self) -> bool:
        """Whether the sample belongs to a dataset."""
        return self._dataset is not None

    @property
    def media_type(self) -> str:
        """``"image"`` or ``"video"``, from the file's extension."""
        return media_type_of(self._fields["filepath"])

    @property
    def frames(self) -> Frames:
        """The frames of a video sample (``sample.frames[1]`` is the first)."""
        if self.media_type != "video":
            raise ValueError(f"Only video samples have frames; {self.filepath!r} is an image")
        if self._frames is None:
            object.__setattr__(self, "_frames", Frames(self))
        return self._frames

    def save(self) -> None:
        """Write the sample's fields, labels and loaded frames to its dataset."""
        if self._dataset is None:
            raise ValueError("This sample is not in a dataset; use dataset.add_sample(sample)")
        self._dataset._save_sample(self)

    def reload(self) -> None:
        """Discard unsaved changes and re-read the sample from its dataset."""
        if self._dataset is None:
            raise ValueError("This sample is not in a dataset")
        fresh = self._dataset[self._id]
        for name in ("_fields", "_seen", "_filtered", "_partial", "_frames"):
            object.__setattr__(self, name, getattr(fresh, name))
        if self._frames is not None:
            self._frames._sample = self

    def copy(self) -> Sample:
        """A new sample (not in any dataset) with copies of the fields and frames."""
        fields = {k: doc_to_value(value_to_doc(v)) for k, v in self._fields.items()}
        for value in fields.values():
            if isinstance(value, Label):
                _renew_ids(value)
        filepath = fields.pop("filepath")
        dup = Sample(filepath, **fields)
        if self.media_type == "video":
            for number, frame in self.frames.items():
                dup.frames[number] = frame.copy()
        return dup

    def __repr__(self) -> str:
        return f"<Sample: id={self._id}, filepath={self._fields.get('filepath')!r}>"


def _renew_ids(label: Any) -> None:
    label._values["id"] = new_id()
    for item in label.items():
        item._values["id"] = new_id()


class Frame(Document):
    """One frame of a video sample; frame numbers start at 1."""

    _BUILTINS = FRAME_BUILTINS

    def __init__(self, **fields: Any) -> None:
        object.__setattr__(self, "_owner", None)
        super().__init__(**fields)

    def _schema(self) -> dict[str, dict[str, Any]] | None:
        sample = None if self._owner is None else self._owner._sample
        dataset = None if sample is None else sample._dataset
        return None if dataset is None else dataset.frame_schema

    @property
    def frame_number(self) -> int | None:
        """1-based frame number (``None`` before the frame joins a sample)."""
        return self._fields.get("frame_number")

    def copy(self) -> Frame:
        """A detached copy with fresh label ids."""
        fields = {
            k: doc_to_value(value_to_doc(v)) for k, v in self._fields.items() if k != "frame_number"
        }
        for value in fields.values():
            if isinstance(value, Label):
                _renew_ids(value)
        return Frame(**fields)

    def __repr__(self) -> str:
        return f"<Frame: frame_number={self.frame_number}, id={self._id}>"


class Frames:
    """The frames of one video sample, loaded on demand and saved with the sample.

    Indexing a frame number that does not exist creates the frame. Frames
    that were read are kept so edits reach ``sample.save()``; for very long
    videos use :meth:`iter_frames`, which streams ranges without keeping them.
    """

    CHUNK = 500

    def __init__(
        self,
        sample: Sample,
        view_filter: Callable[[dict], dict] | None = None,
        filtered: set[str] | None = None,
    ) -> None:
        self._sample = sample
        self._filtered = set(filtered or ())
        self._cache: dict[int, Frame] = {}
        self._deleted: set[int] = set()
        self._stored: set[int] | None = None  # frame numbers in the database
        self._view_filter = view_filter

    def _dataset(self) -> Dataset | None:
        return self._sample._dataset

    def _stored_numbers(self) -> set[int]:
        if self._stored is None:
            dataset = self._dataset()
            if dataset is None or self._sample.id is None:
                self._stored = set()
            else:
                self._stored = set(dataset._store.frame_numbers(dataset._id, self._sample.id))
        return self._stored

    def keys(self) -> list[int]:
        """Frame numbers, ascending."""
        numbers = self._stored_numbers() - self._deleted
        return sorted(numbers | self._cache.keys())

    def __iter__(self) -> Iterator[int]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.keys())

    def __contains__(self, number: int) -> bool:
        return number in self._cache or (
            number not in self._deleted and number in self._stored_numbers()
        )

    def _adopt(self, frame: Frame, number: int) -> Frame:
        object.__setattr__(frame, "_owner", self)
        frame._fields["frame_number"] = number
        self._cache[number] = frame
        self._deleted.discard(number)
        return frame

    def _load(self, start: int, stop: int, numbers: list[int] | None = None) -> list[Frame]:
        dataset = self._dataset()
        if dataset is None or self._sample.id is None:
            return []
        docs = dataset._frame_docs(self._sample.id, start, stop, numbers)
        frames = []
        for doc in docs:
            if self._view_filter is not None:
                doc = self._view_filter(doc)
            frame = Frame()
            object.__setattr__(frame, "_owner", self)
            frame._load_doc(doc)
            frame._fields["frame_number"] = doc["frame_number"]
            object.__setattr__(frame, "_filtered", set(self._filtered))
            frames.append(frame)
        return frames

    def _check_number(self, number: Any) -> int:
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise ValueError(f"Frame numbers are integers >= 1, not {number!r}")
        return number

    def __getitem__(self, number: int) -> Frame:
        number = self._check_number(number)
        if number in self._cache:
            return self._cache[number]
        if number not in self._deleted and number in self._stored_numbers():
            loaded = self._load(number, number)
            if loaded:
                return self._adopt(loaded[0], number)
        return self._adopt(Frame(), number)

    def __setitem__(self, number: int, frame: Frame) -> None:
        number = self._check_number(number)
        if not isinstance(frame, Frame):
            raise ValueError(f"Frames hold Frame objects, not {type(frame).__name__}")
        old = self._cache.get(number)
        if old is not None:
            object.__setattr__(frame, "_id", old._id)
        elif number in self._stored_numbers() and number not in self._deleted:
            stored = self._load(number, number)
            if stored:
                object.__setattr__(frame, "_id", stored[0]._id)
                # labels seen on the stored frame must be deleted if absent now
                object.__setattr__(frame, "_seen", stored[0]._seen)
        self._adopt(frame, number)

    def add_frame(self, number: int, frame: Frame) -> None:
        """Set frame ``number`` to ``frame``."""
        self[number] = frame

    def __delitem__(self, number: int) -> None:
        self._cache.pop(number, None)
        self._deleted.add(number)

    def clear(self) -> None:
        """Delete every frame (on the next save)."""
        self._deleted.update(self._stored_numbers())
        self._cache.clear()

    def items(self) -> Iterator[tuple[int, Frame]]:
        """``(frame_number, frame)`` in order; frames read are kept for saving."""
        for frame in self.iter_frames(keep=True):
            yield frame.frame_number, frame

    def values(self) -> Iterator[Frame]:
        """Frames in order."""
        for _, frame in self.items():
            yield frame

    def first(self) -> Frame:
        """The first frame (``ValueError`` when there is none)."""
        keys = self.keys()
        if not keys:
            raise ValueError("The sample has no frames")
        return self[keys[0]]

    def iter_frames(
        self,
        start: int | None = None,
        stop: int | None = None,
        keep: bool = False,
        autosave: bool = False,
    ) -> Iterator[Frame]:
        """Stream frames in ``[start, stop]`` in order, ``CHUNK`` at a time from the database.

        ``keep=False`` does not retain unchanged frames (bounded memory);
        ``autosave=True`` writes each chunk after it was consumed.
        """
        numbers = [
            n for n in self.keys() if (start is None or n >= start) and (stop is None or n <= stop)
        ]
        for offset in range(0, len(numbers), self.CHUNK):
            chunk = numbers[offset : offset + self.CHUNK]
            missing = [n for n in chunk if n not in self._cache]
            loaded = {
                f.frame_number: f
                for f in (self._load(chunk[0], chunk[-1], missing) if missing else [])
            }
            produced = []
            for n in chunk:
                frame = self._cache.get(n) or loaded.get(n)
                if frame is None:
                    continue
                if keep or autosave:
                    self._adopt(frame, n)
                produced.append(frame)
                yield frame
            if autosave and self._dataset() is not None and self._sample.id is not None:
                self._dataset()._save_frames(self._sample, {f.frame_number: f for f in produced})
                for f in produced:
                    self._cache.pop(f.frame_number, None)

    def save(self) -> None:
        """Write changed frames now (``sample.save()`` does this too)."""
        self._sample.save()

    def __repr__(self) -> str:
        return f"<Frames: {len(self)} frames>"
