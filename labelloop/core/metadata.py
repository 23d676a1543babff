"""Media metadata records attached to samples (``sample.metadata``)."""

from __future__ import annotations

from typing import Any, ClassVar

_CLASSES: dict[str, type[Metadata]] = {}


class Metadata:
    """Size and type of a media file; attributes are read like ``metadata.width``."""

    _FIELDS: ClassVar[tuple[str, ...]] = ("size_bytes", "mime_type")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _CLASSES[cls.__name__] = cls

    def __init__(self, **kwargs: Any) -> None:
        for name in self._FIELDS:
            setattr(self, name, kwargs.pop(name, None))
        for name, value in kwargs.items():
            setattr(self, name, value)

    def __getitem__(self, name: str) -> Any:
        return getattr(self, name)

    def get(self, name: str, default: Any = None) -> Any:
        """Attribute ``name`` or ``default``."""
        return getattr(self, name, default)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict with the class under ``_cls``."""
        return {"_cls": type(self).__name__, **vars(self)}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Metadata:
        """Rebuild from :meth:`to_dict` output."""
        data = dict(data)
        cls = _CLASSES.get(data.pop("_cls", "Metadata"), Metadata)
        return cls(**data)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Metadata) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"<{type(self).__name__}: {shown}>"


_CLASSES["Metadata"] = Metadata


class ImageMetadata(Metadata):
    """Image size in pixels plus file size and MIME type."""

    _FIELDS = ("size_bytes", "mime_type", "width", "height", "num_channels")


class VideoMetadata(Metadata):
    """Video frame size, rate, count and duration plus file size and MIME type."""

    _FIELDS = (
        "size_bytes",
        "mime_type",
        "frame_width",
        "frame_height",
        "frame_rate",
        "total_frame_count",
        "duration",
        "encoding_str",
    )

    @property
    def width(self) -> int | None:
        """Frame width (alias of ``frame_width``)."""
        return self.frame_width

    @property
    def height(self) -> int | None:
        """Frame height (alias of ``frame_height``)."""
        return self.frame_height
