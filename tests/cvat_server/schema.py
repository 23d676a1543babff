"""Validate every JSON answer against CVAT's published schema via cvat-sdk's models.

``checked_client()`` returns an httpx client whose response hook
deserialises each successful JSON response into the cvat-sdk 2.73 model
CVAT documents for that route (type-checked, required fields enforced), so a
test that merely uses the client also checks the response shapes.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from cvat_sdk.api_client import ApiClient, Configuration, models

_ROUTES: list[tuple[str, str, str]] = [
    ("GET", r"/api/server/about", "About"),
    ("POST", r"/api/auth/login", "Token"),
    ("GET", r"/api/users", "PaginatedMetaUserList"),
    ("*", r"/api/users/(self|\d+)", "MetaUser"),
    ("GET", r"/api/projects", "PaginatedProjectReadList"),
    ("POST", r"/api/projects", "ProjectRead"),
    ("*", r"/api/projects/\d+", "ProjectRead"),
    ("GET", r"/api/labels", "PaginatedLabelList"),
    ("*", r"/api/labels/\d+", "Label"),
    ("GET", r"/api/tasks", "PaginatedTaskReadList"),
    ("POST", r"/api/tasks", "TaskRead"),
    ("*", r"/api/tasks/\d+", "TaskRead"),
    ("POST", r"/api/tasks/\d+/data", "DataResponse"),
    ("*", r"/api/(tasks|jobs)/\d+/data/meta", "DataMetaRead"),
    ("GET", r"/api/jobs", "PaginatedJobReadList"),
    ("*", r"/api/jobs/\d+", "JobRead"),
    ("*", r"/api/(tasks|jobs)/\d+/annotations", "LabeledData"),
    ("GET", r"/api/requests", "PaginatedRequestList"),
    ("GET", r"/api/requests/[^/]+", "Request"),
    ("GET", r"/api/auth/access_tokens", "PaginatedAccessTokenReadList"),
    ("POST", r"/api/auth/access_tokens", "AccessTokenRead"),
    ("*", r"/api/auth/access_tokens/\d+", "AccessTokenRead"),
    ("GET", r"/api/organizations", "PaginatedOrganizationReadList"),
    ("POST", r"/api/organizations", "OrganizationRead"),
    ("*", r"/api/organizations/\d+", "OrganizationRead"),
    ("GET", r"/api/memberships", "PaginatedMembershipReadList"),
    ("*", r"/api/memberships/\d+", "MembershipRead"),
    ("GET", r"/api/invitations", "PaginatedInvitationReadList"),
    ("POST", r"/api/invitations", "InvitationRead"),
    ("POST", r"/api/invitations/[^/]+/accept", "AcceptInvitationRead"),
]

_API = ApiClient(Configuration(host="http://unused"))


class _Raw:
    """The slice of urllib3's response that ApiClient.deserialize reads."""

    def __init__(self, response: httpx.Response) -> None:
        self.data = response.content
        self.headers = response.headers

    def getheader(self, name: str, default: Any = None) -> Any:
        return self.headers.get(name, default)


def model_for(method: str, path: str) -> str | None:
    path = path.rstrip("/")
    for route_method, pattern, name in _ROUTES:
        if route_method in ("*", method) and re.fullmatch(pattern, path):
            return name
    return None


def _fields(cls: Any) -> dict[str, tuple]:
    """A model's fields and their types, including those of composed (allOf/anyOf) parts."""
    fields = dict(cls.openapi_types)
    for group in (getattr(cls, "_composed_schemas", None) or {}).values():
        for part in group:
            if hasattr(part, "openapi_types"):
                fields.update(_fields(part))
    return fields


def _extra_keys(sent: Any, types: tuple, path: str = "") -> list[str]:
    """Keys the server sent that CVAT's schema does not have (CVAT would never send them)."""
    extra: list[str] = []
    for kind in types:
        if isinstance(kind, list) and isinstance(sent, list):
            for item in sent:
                extra += _extra_keys(item, tuple(kind), f"{path}[]")
        elif hasattr(kind, "openapi_types") and isinstance(sent, dict):
            fields = _fields(kind)
            extra += [f"{path}.{key}" for key in sent if key not in fields]
            for key in sent.keys() & fields.keys():
                extra += _extra_keys(sent[key], fields[key], f"{path}.{key}")
    return extra


def validate(response: httpx.Response, name: str | None = None) -> Any:
    """Deserialise a response into its cvat-sdk model; raise on any mismatch or unknown field."""
    name = name or model_for(response.request.method, response.request.url.path)
    if name is None:
        raise AssertionError(
            f"no schema known for {response.request.method} {response.request.url.path}"
        )
    model = _API.deserialize(_Raw(response), (getattr(models, name),), _check_type=True)
    extra = _extra_keys(response.json(), (getattr(models, name),))
    if extra:
        raise AssertionError(f"{name} has fields CVAT does not send: {extra[:5]}")
    return model


def _hook(response: httpx.Response) -> None:
    if response.status_code >= 300 or response.status_code == 204:
        return
    if not response.headers.get("content-type", "").startswith("application/vnd.cvat+json"):
        return
    response.read()
    name = model_for(response.request.method, response.request.url.path)
    if name is not None:
        validate(response, name)


def checked_client(url: str, **kwargs: Any) -> httpx.Client:
    """An httpx client that schema-checks every JSON answer it receives."""
    return httpx.Client(base_url=url, event_hooks={"response": [_hook]}, timeout=60, **kwargs)
