"""The CVAT annotation backend: its capabilities and the annotate/download entry points.

``CVATBackend`` uploads a collection's media and labels
(:mod:`labelloop.cvat.annotate`) and downloads annotators' work
(:mod:`labelloop.cvat.download`, :mod:`labelloop.cvat.video_download`). Its
config, :class:`~labelloop.cvat.config.CVATBackendConfig`, is importable from
here too, where stored runs name it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

from labelloop.annotation.base import AnnotationBackend, SampleChunk, Unread, regroup_by_sample
from labelloop.annotation.schema import RETURN_TYPES
from labelloop.cvat.annotate import upload_run
from labelloop.cvat.api import CVATAnnotationAPI
from labelloop.cvat.config import CVATBackendConfig
from labelloop.cvat.download import download_run
from labelloop.cvat.results import CVATAnnotationResults
from labelloop.cvat.video_download import iter_video_annotations

__all__ = ["CVATBackend", "CVATBackendConfig", "nest_chunks"]

logger = logging.getLogger(__name__)

_IMAGE_TYPES = (
    "classification",
    "classifications",
    "detection",
    "detections",
    "instance",
    "instances",
    "polyline",
    "polylines",
    "polygon",
    "polygons",
    "keypoint",
    "keypoints",
    "segmentation",
    "scalar",
)


class CVATBackend(AnnotationBackend):
    """Annotation through a CVAT server (2.0 or newer), images and videos."""

    supported_media_types: ClassVar[tuple[str, ...]] = ("image", "video")
    supported_label_types: ClassVar[tuple[str, ...]] = _IMAGE_TYPES
    supported_scalar_types: ClassVar[tuple[type, ...]] = (bool, int, float, str)
    supported_attr_types: ClassVar[tuple[str, ...]] = (
        "text",
        "select",
        "radio",
        "checkbox",
        "occluded",
        "group_id",
    )
    supports_keyframes: ClassVar[bool] = True
    supports_video_sample_fields: ClassVar[bool] = False
    requires_label_schema: ClassVar[bool] = True
    spatial_attributes: ClassVar[tuple[str, ...]] = ("rotation",)

    config: CVATBackendConfig

    def takes_classes_from_server(self) -> bool:
        """Uploads to a named project may omit label fields: the project's labels apply."""
        return self.config.project_name is not None or self.config.project_id is not None

    def requires_attr_values(self, attr_type: str) -> bool:
        """CVAT needs ``values`` for select/radio; text/checkbox ones are filled in for you."""
        return attr_type in ("select", "radio")

    def _connect_to_api(self) -> CVATAnnotationAPI:
        config = self.config
        if not config.url:
            raise ValueError(
                "No CVAT url: pass url=..., set LABELLOOP_CVAT_URL, or add 'url' to the cvat "
                "backend in the annotation config"
            )
        config.load_credentials()
        creds = config.credentials
        return CVATAnnotationAPI(
            config.name,
            config.url,
            username=creds.get("username"),
            email=creds.get("email"),
            password=creds.get("password"),
            headers=creds.get("headers"),
            organization=config.organization,
            token=creds.get("token"),
            access_token=creds.get("access_token"),
            verify=config.verify,
            timeout=config.timeout,
        )

    def upload_annotations(
        self, samples: Any, anno_key: str, launch_editor: bool = False
    ) -> CVATAnnotationResults:
        """Create the run's tasks with media and labels; on any failure remove them all."""
        results = upload_run(self, samples, anno_key)
        if launch_editor:
            try:
                results.launch_editor()
            except Exception as err:  # the run exists; a browser problem must not lose it
                logger.warning("Could not open the editor: %s", err)
            except BaseException:  # Ctrl-C: the run is not recorded, so remove its tasks
                results.cleanup()
                raise
        return results

    def download_annotations(self, results: CVATAnnotationResults) -> dict[str, Any]:
        """The run's annotations: ``{field: {return_type: {sample_id: {label_id: label}}}}``.

        Samples that could not be read are absent here; :meth:`iter_annotations`
        (what the merge uses) says which they are, so they are never deleted."""
        out = {
            name: {RETURN_TYPES[spec["type"]]: {}}
            for name, spec in (self.config.label_schema or {}).items()
            if spec.get("type") in RETURN_TYPES
        }
        for name, by_type in nest_chunks(self.iter_annotations(results)).items():
            for return_type, by_sample in by_type.items():
                out.setdefault(name, {}).setdefault(return_type, {}).update(by_sample)
        return out

    def iter_annotations(self, results: CVATAnnotationResults) -> Iterator[SampleChunk]:
        """Video runs stream one task (video) at a time into the merge; image runs are
        downloaded here, before the merge takes the database's write lock. Samples on
        frames that could not be read come as :class:`Unread` chunks naming why."""
        if _is_video(results):
            return iter_video_annotations(self, results)
        logger.info("Downloading labels from CVAT...")
        download = download_run(self, results)
        logger.info("Download complete")
        chunks = dict(regroup_by_sample(download.annotations))
        out: list[SampleChunk] = [
            (sid, chunk) for sid, chunk in chunks.items() if sid not in download.skipped
        ]
        out += [(sid, Unread(None, skips)) for sid, skips in download.skipped.items()]
        return iter(out)


def _is_video(results: CVATAnnotationResults) -> bool:
    return getattr(results.samples, "media_type", None) == "video"


def nest_chunks(chunks: Iterable[SampleChunk]) -> dict[str, Any]:
    """Per-sample chunks -> the download layout ``{field: {type: {sample_id: value}}}``."""
    out: dict[str, Any] = {}
    for sample_id, by_field in chunks:
        for name, by_type in by_field.items():
            for return_type, value in by_type.items():
                out.setdefault(name, {}).setdefault(return_type, {})[sample_id] = value
    return out
