"""A real CVAT server, seen by the tests through the same helpers as the local one.

:class:`RemoteCVAT` wraps a CVAT given by URL and superuser credentials (the
``LABELLOOP_TEST_CVAT_*`` variables) with the part of
:class:`~labelloop.testing.cvat_server.LocalCVATServer`'s surface that a real
server can offer through its public REST API: ``url``, ``username``,
``password``, ``admin_token``, ``headers``, ``client()``, ``create_user()``
(CVAT's registration API) and ``reset()``. Fault injection and body limits
exist only on the local server; tests that need them are marked
``local_cvat_only``.

``reset()`` deletes what was created on the server since this object was made
(tasks, projects, organizations, users with higher ids): a dedicated test
server is emptied, while a shared staging server keeps what it held before.
"""

from __future__ import annotations

from typing import Any

import httpx

URL_ENV = "LABELLOOP_TEST_CVAT_URL"
USERNAME_ENV = "LABELLOOP_TEST_CVAT_USERNAME"
PASSWORD_ENV = "LABELLOOP_TEST_CVAT_PASSWORD"

#: Resources reset() removes, children before parents.
_RESOURCES = ("tasks", "projects", "organizations")
_TIMEOUT = 120.0


class RemoteCVAT:
    """A running CVAT reached over HTTP as its superuser."""

    is_local = False

    def __init__(self, url: str, username: str, password: str) -> None:
        if not url or not username or not password:
            raise ValueError(f"{URL_ENV}, {USERNAME_ENV} and {PASSWORD_ENV} must all be set")
        self.url = url.rstrip("/")
        self.username = username
        self.password = password
        self.admin_token = _login(self.url, username, password)
        with self.client() as client:
            self._baseline = {name: _max_id(client, name) for name in (*_RESOURCES, "users")}

    def __repr__(self) -> str:
        return f"RemoteCVAT(url={self.url!r})"

    @property
    def headers(self) -> dict[str, str]:
        """Headers that authenticate as the superuser."""
        return {"Authorization": f"Token {self.admin_token}"}

    def client(self, **kwargs: Any) -> httpx.Client:
        """An httpx client bound to the server, authenticated as the superuser."""
        kwargs.setdefault("timeout", _TIMEOUT)
        return httpx.Client(base_url=self.url, headers=self.headers, **kwargs)

    def create_user(
        self,
        username: str,
        password: str,
        *,
        group: str = "user",
        email: str = "",
        first_name: str = "",
        last_name: str = "",
    ) -> dict[str, Any]:
        """Register a user (``POST /api/auth/register``) and give it the system ``group``;
        returns ``{"id", "username", "token"}`` like the local server.

        CVAT validates what a person would type: usernames of 5 characters or more, and
        passwords of 8 or more that are not common, numeric or like the username, names
        or email (the local server checks the same, see its ``registration`` module).
        """
        with httpx.Client(base_url=self.url, timeout=_TIMEOUT) as anonymous:
            response = anonymous.post(
                "/api/auth/register",
                json={
                    "username": username,
                    "email": email or f"{username}@example.com",
                    "password1": password,
                    "password2": password,
                    # optional on CVAT 2.73, but never blank when given
                    "first_name": first_name or username,
                    "last_name": last_name or "Tester",
                },
            )
        _check(response, "register a user")
        with self.client() as client:
            found = client.get("/api/users", params={"filter": _eq("username", username)})
            _check(found, "find the new user")
            user_id = found.json()["results"][0]["id"]
            if group != "user":
                changed = client.patch(f"/api/users/{user_id}", json={"groups": [group]})
                _check(changed, f"put the user in group {group!r}")
        return {"id": user_id, "username": username, "token": _login(self.url, username, password)}

    def reset(self) -> None:
        """Delete the tasks, projects, organizations and users made since start-up.

        Logs in again first if the token was revoked: a logout as the superuser (by any
        client) deletes its one REST token on CVAT, and cleanup must still happen.
        """
        with self.client() as client:
            if client.get("/api/users/self").status_code == 401:
                self.admin_token = _login(self.url, self.username, self.password)
        with self.client() as client:
            for name in (*_RESOURCES, "users"):
                for item_id in _ids(client, name):
                    if item_id <= self._baseline[name]:
                        continue
                    response = client.delete(f"/api/{name}/{item_id}")
                    if response.status_code not in (204, 404):
                        _check(response, f"delete {name} {item_id}")


_SESSIONS: dict[tuple[str, str], RemoteCVAT] = {}


def from_environment() -> RemoteCVAT | None:
    """The CVAT named by ``LABELLOOP_TEST_CVAT_*``, or ``None`` when the URL is unset.

    One object per server and user for the whole process: every test directory's
    conftest declares its own ``cvat_server`` fixture, and they must share one
    baseline, or what one directory's last test left would count as "there before"
    for the next directory and survive its resets.
    """
    import os

    url = os.environ.get(URL_ENV, "")
    if not url:
        return None
    username = os.environ.get(USERNAME_ENV, "")
    key = (url, username)
    if key not in _SESSIONS:
        _SESSIONS[key] = RemoteCVAT(url, username, os.environ.get(PASSWORD_ENV, ""))
    return _SESSIONS[key]


def _eq(field: str, value: Any) -> str:
    import json

    return json.dumps({"==": [{"var": field}, value]})


def _login(url: str, username: str, password: str) -> str:
    response = httpx.post(
        url + "/api/auth/login",
        json={"username": username, "password": password},
        timeout=_TIMEOUT,
    )
    _check(response, f"log in to {url} as {username!r}")
    return response.json()["key"]


def _ids(client: httpx.Client, name: str) -> list[int]:
    response = client.get(f"/api/{name}", params={"page_size": 1000, "sort": "-id"})
    _check(response, f"list {name}")
    ids: list[int] = []
    body = response.json()
    while True:
        ids.extend(int(item["id"]) for item in body["results"])
        if not body.get("next"):
            return ids
        response = client.get(body["next"])
        _check(response, f"list {name}")
        body = response.json()


def _max_id(client: httpx.Client, name: str) -> int:
    return max(_ids(client, name), default=0)


def _check(response: httpx.Response, what: str) -> None:
    if response.status_code >= 400:
        raise RuntimeError(
            f"could not {what} on the CVAT server: {response.status_code} {response.text[:500]}"
        )
