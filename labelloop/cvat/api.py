"""``CVATAnnotationAPI``: the user-facing handle on a CVAT server.

A facade over :class:`~labelloop.cvat.client.CVATClient` and the resource
wrappers, exposing the URL properties and helpers the reference system's
users rely on (``base_url``, ``tasks_url``, ``get``/``post``..., ``delete_tasks``,
``task_exists``, ``launch_editor``) plus the lookups the backend needs.
"""

from __future__ import annotations

import logging
import webbrowser
from collections.abc import Iterable, Mapping
from typing import Any

import httpx
from packaging.version import Version

from labelloop.annotation.base import AnnotationAPI
from labelloop.cvat.client import CVATClient, RetryPolicy
from labelloop.cvat.errors import CVATNotFound
from labelloop.cvat.resources import Jobs, Labels, Projects, Tasks, Users

logger = logging.getLogger(__name__)


class CVATAnnotationAPI(AnnotationAPI):
    """A logged-in connection to a CVAT server (>= 2.0).

    Args:
        name: the backend name (``"cvat"``).
        url: the server's base URL.
        username, password, email: session-login credentials.
        headers: extra HTTP headers for every request.
        organization: organization slug (sent as ``X-Organization``).
        token, access_token: legacy REST token / personal access token instead
            of a password.
        verify: TLS verification (``True``, ``False`` or a CA bundle path).
        timeout: per-request timeout in seconds.
        retry: retry policy of idempotent calls.
    """

    def __init__(
        self,
        name: str,
        url: str,
        username: str | None = None,
        email: str | None = None,
        password: str | None = None,
        headers: Mapping[str, str] | None = None,
        organization: str | None = None,
        *,
        token: str | None = None,
        access_token: str | None = None,
        verify: bool | str = True,
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.name = name
        self.client = CVATClient(
            url,
            username=username,
            password=password,
            email=email,
            token=token,
            access_token=access_token,
            headers=headers,
            organization=organization,
            verify=verify,
            timeout=timeout,
            retry=retry,
        )
        self.projects = Projects(self.client)
        self.tasks = Tasks(self.client)
        self.jobs = Jobs(self.client)
        self.labels = Labels(self.client)
        self.users = Users(self.client)
        self._user_ids: dict[str, int | None] = {}

    def __repr__(self) -> str:
        return f"CVATAnnotationAPI(url={self.base_url!r})"

    def close(self) -> None:
        """Close the HTTP session."""
        self.client.close()

    # -- URLs -----------------------------------------------------------------

    @property
    def server_version(self) -> Version:
        """The server's version."""
        return self.client.server_version

    @property
    def base_url(self) -> str:
        """The server's base URL (no trailing slash)."""
        return self.client.url

    @property
    def base_api_url(self) -> str:
        """``<base_url>/api``."""
        return f"{self.base_url}/api"

    @property
    def login_url(self) -> str:
        """The login endpoint."""
        return f"{self.base_api_url}/auth/login"

    @property
    def about_url(self) -> str:
        """The server-info endpoint."""
        return f"{self.base_api_url}/server/about"

    @property
    def users_url(self) -> str:
        """The users endpoint."""
        return f"{self.base_api_url}/users"

    @property
    def projects_url(self) -> str:
        """The projects endpoint."""
        return f"{self.base_api_url}/projects"

    @property
    def tasks_url(self) -> str:
        """The tasks endpoint."""
        return f"{self.base_api_url}/tasks"

    @property
    def jobs_api_url(self) -> str:
        """The jobs endpoint."""
        return f"{self.base_api_url}/jobs"

    def project_url(self, project_id: int) -> str:
        """API URL of a project."""
        return f"{self.projects_url}/{int(project_id)}"

    def task_url(self, task_id: int) -> str:
        """API URL of a task."""
        return f"{self.tasks_url}/{int(task_id)}"

    def task_data_url(self, task_id: int) -> str:
        """API URL of a task's media."""
        return f"{self.task_url(task_id)}/data"

    def task_data_meta_url(self, task_id: int) -> str:
        """API URL of a task's media meta."""
        return f"{self.task_data_url(task_id)}/meta"

    def task_data_download_url(
        self, task_id: int, frame_id: int, data_type: str = "frame", quality: str = "original"
    ) -> str:
        """API URL of one frame (or chunk) of a task's media."""
        return f"{self.task_data_url(task_id)}?type={data_type}&quality={quality}&number={frame_id}"

    def task_annotation_url(self, task_id: int) -> str:
        """API URL of a task's annotations."""
        return f"{self.task_url(task_id)}/annotations"

    def labels_url(self, task_id: int) -> str:
        """API URL listing a task's labels."""
        return f"{self.base_api_url}/labels?task_id={int(task_id)}"

    def jobs_url(self, task_id: int) -> str:
        """API URL listing a task's jobs."""
        return f"{self.jobs_api_url}?task_id={int(task_id)}"

    def taskless_job_url(self, job_id: int) -> str:
        """API URL of a job."""
        return f"{self.jobs_api_url}/{int(job_id)}"

    def job_annotation_url(self, job_id: int) -> str:
        """API URL of a job's annotations."""
        return f"{self.taskless_job_url(job_id)}/annotations"

    def base_task_url(self, task_id: int) -> str:
        """Browser URL of a task."""
        return f"{self.base_url}/tasks/{int(task_id)}"

    def base_job_url(self, task_id: int, job_id: int) -> str:
        """Browser URL of a job in the annotation editor."""
        return f"{self.base_task_url(task_id)}/jobs/{int(job_id)}"

    # -- raw HTTP -------------------------------------------------------------

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        """``GET`` an absolute or server-relative URL (typed errors on failure)."""
        return self.client.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        """``POST`` to an absolute or server-relative URL."""
        return self.client.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        """``PUT`` to an absolute or server-relative URL."""
        return self.client.request("PUT", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        """``PATCH`` an absolute or server-relative URL."""
        return self.client.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        """``DELETE`` an absolute or server-relative URL."""
        return self.client.request("DELETE", url, **kwargs)

    # -- users and projects ---------------------------------------------------

    def get_user_id(self, username: str) -> int | None:
        """Id of ``username`` (cached); ``None`` with a warning when there is no such user."""
        if username not in self._user_ids:
            user_id = self.users.find_id(username)
            if user_id is None:
                logger.warning("No CVAT user named %r; the assignment is skipped", username)
            self._user_ids[username] = user_id
        return self._user_ids[username]

    def get_project_id(self, project_name: str) -> int | None:
        """Id of the project named ``project_name``, or ``None``."""
        return self.projects.find_id(project_name)

    def get_project_name(self, project_id: int) -> str | None:
        """Name of a project, or ``None`` when it does not exist."""
        try:
            return self.projects.get(project_id).get("name")
        except CVATNotFound:
            return None

    def project_exists(self, project_id: int) -> bool:
        """Whether the project exists."""
        return self.projects.exists(project_id)

    def list_projects(self) -> list[int]:
        """Ids of every project visible to the user."""
        return [int(p["id"]) for p in self.projects.list()]

    def get_project_tasks(self, project_id: int) -> list[int]:
        """Ids of the tasks in a project."""
        return self.projects.task_ids(project_id)

    def get_empty_projects(self, project_ids: Iterable[int]) -> list[int]:
        """The existing projects among ``project_ids`` that hold no task."""
        out = []
        for project_id in project_ids:
            try:
                if self.projects.is_empty(project_id):
                    out.append(int(project_id))
            except CVATNotFound:
                continue
        return out

    def create_project(self, name: str, labels: list[dict[str, Any]]) -> int:
        """Create a project with ``labels``; returns its id."""
        return int(self.projects.create(name, labels)["id"])

    def delete_project(self, project_id: int) -> None:
        """Delete a project (nothing happens if it is already gone)."""
        self.projects.delete(project_id)

    def delete_projects(self, project_ids: Iterable[int]) -> None:
        """Delete several projects."""
        for project_id in project_ids:
            self.delete_project(project_id)

    # -- tasks ----------------------------------------------------------------

    def list_tasks(self) -> list[int]:
        """Ids of every task visible to the user."""
        return [int(t["id"]) for t in self.tasks.list()]

    def task_exists(self, task_id: int) -> bool:
        """Whether the task exists."""
        return self.tasks.exists(task_id)

    def delete_task(self, task_id: int) -> None:
        """Delete a task (nothing happens if it is already gone)."""
        self.tasks.delete(task_id)

    def delete_tasks(self, task_ids: Iterable[int]) -> None:
        """Delete several tasks."""
        for task_id in task_ids:
            self.delete_task(task_id)

    def launch_editor(self, url: str | None = None) -> bool:
        """Open ``url`` (default: the server's task list) in a web browser.

        The URL is printed (stdout) either way, and when no browser could be
        opened (a server, a container, SSH) the message says so, so the link
        can be opened by hand. Returns whether a browser was opened.
        """
        url = url or f"{self.base_url}/tasks"
        print(f"Opening the CVAT editor at {url}")
        try:
            opened = webbrowser.open(url, new=2)
        except webbrowser.Error:
            opened = False
        if not opened:
            print("No web browser could be opened here; open the link above yourself.")
        return bool(opened)
