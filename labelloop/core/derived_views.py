"""The derived-view entry points of every collection: patches, evaluation patches, frames, clips.

Each adds a :class:`~labelloop.core.derived.Derivation` stage (defined beside
:mod:`labelloop.core.derived` in :mod:`~labelloop.core.patches`,
:mod:`~labelloop.core.frames_view` and :mod:`~labelloop.core.clips`) to the
collection's stages; :class:`~labelloop.core.collection.SampleCollection`
inherits them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from labelloop.core.clips import ToClips
from labelloop.core.frames_view import ToFrames
from labelloop.core.patches import ToEvaluationPatches, ToPatches

if TYPE_CHECKING:
    from labelloop.core.stages import Stage
    from labelloop.core.view import DatasetView


class DerivedViews:
    """``to_patches``, ``to_evaluation_patches``, ``to_frames`` and ``to_clips``."""

    _add_stage: Callable[[Stage], DatasetView]

    def to_patches(self, field: str) -> DatasetView:
        """One sample per object of ``field``; edits of the patches' labels reach the dataset."""
        return self._add_stage(ToPatches(field))

    def to_evaluation_patches(self, eval_key: str) -> DatasetView:
        """One sample per true positive, false positive and false negative of an evaluation."""
        return self._add_stage(ToEvaluationPatches(eval_key))

    def to_frames(
        self,
        sample_frames: bool = False,
        fps: float | None = None,
        max_fps: float | None = None,
        output_dir: str | None = None,
    ) -> DatasetView:
        """One image sample per video frame (``fps``/``max_fps``: a subset at that rate).

        ``sample_frames=True`` writes the frame images (JPEG) to ``output_dir``
        (default ``<LABELLOOP_HOME>/frames/<dataset id>``) now; otherwise
        nothing is written and ``filepath`` says where the images would be.
        """
        stage = ToFrames(sample_frames, fps, max_fps, output_dir)
        view = self._add_stage(stage)
        if sample_frames:
            stage.sample_images(self)
        return view

    def to_clips(self, field_or_expr: Any, tol: int = 0, min_len: int = 0) -> DatasetView:
        """One video sample per segment of a frame field/expression, temporal detection or support."""
        return self._add_stage(ToClips(field_or_expr, tol, min_len))
