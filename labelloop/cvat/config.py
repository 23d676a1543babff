"""The CVAT backend's config: every documented CVAT parameter, checked when it is given.

:class:`CVATBackendConfig` takes task splitting, projects, assignees, upload
options, attribute bindings and video frame ranges; credentials stay private and
are never stored with a run. It lives apart from :mod:`labelloop.cvat.backend` so
the upload and download flows, which the backend calls, can read it without
importing the backend back.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from labelloop.annotation.base import AnnotationBackendConfig
from labelloop.annotation.config import resolve_credentials

logger = logging.getLogger(__name__)

_CREDENTIALS = ("username", "password", "email", "headers", "token", "access_token")


def _positive_int(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer or None, got {value!r}")
    return value


def _names(name: str, value: Any) -> str | list[str] | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
        return list(value)
    raise ValueError(f"{name} must be a string or a non-empty list of strings, got {value!r}")


class CVATBackendConfig(AnnotationBackendConfig):
    """Parameters of a CVAT annotation run (everything but credentials is stored with the run).

    Args:
        name: the backend name (``"cvat"``).
        label_schema: the normalised label schema.
        media_field: sample field holding the media path to upload.
        url: the CVAT server's URL.
        username, password, email, headers, token, access_token: credentials
            (never stored).
        task_size: maximum images per task (tasks are named ``<task_name>_<n>``).
        segment_size: images per job.
        image_quality: JPEG quality of CVAT's compressed chunks (1-100).
        use_cache, use_zip_chunks, chunk_size: CVAT data options.
        task_assignee: username (or list, round robin over tasks) to assign tasks to.
        job_assignees: usernames assigned to the jobs round robin.
        job_reviewers: CVAT 1.x only; ignored with a warning (labelloop needs CVAT 2.x).
        project_name: project to reuse (by name) or create.
        project_id: existing project to upload to.
        task_name: task name (default ``labelloop_<dataset name>``).
        occluded_attr, group_id_attr: label attributes bound to CVAT's occluded
            flag / group number.
        issue_tracker: URL (or list, round robin over tasks) of the issue tracker.
        organization: CVAT organization slug.
        frame_start, frame_stop, frame_step: video frame ranges (videos only).
        coerce_text_attrs: parse downloaded text attributes that had no value before
            into numbers/bools; values that existed keep their type ("007" stays text).
        verify: TLS certificate verification (``True``, ``False`` or a CA bundle path).
        upload_timeout: seconds to wait for the server to process a task's media.
        timeout: seconds for connecting and for each read/write of one request (a
            slower answer is retried when the call is safe to repeat).
    """

    backend_cls: ClassVar[str] = "labelloop.cvat.backend.CVATBackend"
    credential_names: ClassVar[tuple[str, ...]] = _CREDENTIALS

    def __init__(
        self,
        name: str,
        label_schema: dict[str, Any] | None,
        media_field: str = "filepath",
        url: str | None = None,
        task_size: int | None = None,
        segment_size: int | None = None,
        image_quality: int = 75,
        use_cache: bool = True,
        use_zip_chunks: bool = True,
        chunk_size: int | None = None,
        task_assignee: str | list[str] | None = None,
        job_assignees: list[str] | None = None,
        job_reviewers: list[str] | None = None,
        project_name: str | None = None,
        project_id: int | None = None,
        task_name: str | None = None,
        occluded_attr: str | None = None,
        group_id_attr: str | None = None,
        issue_tracker: str | list[str] | None = None,
        organization: str | None = None,
        frame_start: Any = None,
        frame_stop: Any = None,
        frame_step: Any = None,
        coerce_text_attrs: bool = True,
        verify: bool | str = True,
        upload_timeout: float = 600.0,
        timeout: float = 60.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, label_schema, media_field=media_field, **kwargs)
        self.url = url.rstrip("/") if isinstance(url, str) else url
        self.task_size = _positive_int("task_size", task_size)
        self.segment_size = _positive_int("segment_size", segment_size)
        if (
            isinstance(image_quality, bool)
            or not isinstance(image_quality, int)
            or not (1 <= image_quality <= 100)
        ):
            raise ValueError(f"image_quality must be an int in [1, 100], got {image_quality!r}")
        self.image_quality = image_quality
        self.use_cache = bool(use_cache)
        self.use_zip_chunks = bool(use_zip_chunks)
        self.chunk_size = _positive_int("chunk_size", chunk_size)
        self.task_assignee = _names("task_assignee", task_assignee)
        if isinstance(job_assignees, str):
            job_assignees = [job_assignees]
        self.job_assignees = _names("job_assignees", job_assignees)
        if job_reviewers:
            logger.warning(
                "job_reviewers is a CVAT 1.x feature; CVAT 2.x has no job reviewers, so "
                "%r will not be assigned (use job_assignees and CVAT's validation stage)",
                job_reviewers,
            )
        self.job_reviewers = None
        if project_name is not None and (not isinstance(project_name, str) or not project_name):
            raise ValueError(f"project_name must be a non-empty string, got {project_name!r}")
        self.project_name = project_name
        if project_id is not None and (
            isinstance(project_id, bool) or not str(project_id).isdigit()
        ):
            raise ValueError(f"project_id must be a positive integer, got {project_id!r}")
        self.project_id = int(project_id) if project_id is not None else None
        self.task_name = task_name
        for param, value in (("occluded_attr", occluded_attr), ("group_id_attr", group_id_attr)):
            if value is not None and (not isinstance(value, str) or not value):
                raise ValueError(f"{param} must be an attribute name (a string), got {value!r}")
        self.occluded_attr = occluded_attr
        self.group_id_attr = group_id_attr
        self.issue_tracker = _names("issue_tracker", issue_tracker)
        self.organization = organization
        for param, value in (
            ("frame_start", frame_start),
            ("frame_stop", frame_stop),
            ("frame_step", frame_step),
        ):
            _check_frame_param(param, value)
        self.frame_start = frame_start
        self.frame_stop = frame_stop
        self.frame_step = frame_step
        self.coerce_text_attrs = bool(coerce_text_attrs)
        if not isinstance(verify, (bool, str)):
            raise ValueError(f"verify must be True, False or a CA bundle path, got {verify!r}")
        self.verify = verify
        if not isinstance(upload_timeout, (int, float)) or upload_timeout <= 0:
            raise ValueError(
                f"upload_timeout must be a positive number of seconds, got {upload_timeout!r}"
            )
        self.upload_timeout = float(upload_timeout)
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        self.timeout = float(timeout)

    def load_credentials(self, **kwargs: Any) -> None:
        """Fill credentials from kwargs, config file/env, or a prompt (unless a token is set)."""
        super().load_credentials(**kwargs)
        creds = self._credentials
        if not (creds.get("token") or creds.get("access_token") or creds.get("password")):
            self._credentials.update(
                resolve_credentials(
                    self.name,
                    ("username", "password"),
                    creds,
                    required=("username", "password"),
                )
            )


def _check_frame_param(name: str, value: Any) -> None:
    items = (
        value.values() if isinstance(value, dict) else value if isinstance(value, list) else [value]
    )
    for item in items:
        if item is None:
            continue
        if isinstance(item, bool) or not isinstance(item, int) or item < 0:
            raise ValueError(
                f"{name} must be a non-negative int, a list or a dict of them, got {value!r}"
            )
        if name == "frame_step" and item < 1:
            raise ValueError(f"frame_step must be >= 1, got {value!r}")
