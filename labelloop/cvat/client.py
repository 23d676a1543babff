"""One HTTP session with a CVAT server: auth, version detection, retries, pagination.

Every request labelloop sends to CVAT goes through :class:`CVATClient`. It keeps
a single pooled ``httpx.Client`` with timeouts and TLS verification on by
default, authenticates by session login (cookie + ``X-CSRFToken``), by legacy
token (``Authorization: Token``) or by personal access token
(``Authorization: Bearer``), detects the server version through
``/api/server/about`` and retries idempotent calls on 429/502/503/504 and
connection errors with bounded exponential backoff and jitter.
"""

from __future__ import annotations

import email.utils
import logging
import os
import random
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from packaging.version import InvalidVersion, Version

from labelloop.cvat.errors import (
    CVATAuthError,
    CVATBadRequest,
    CVATConnectionError,
    CVATError,
    CVATNotFound,
    CVATServerError,
    CVATTimeoutError,
    CVATUnsupportedVersion,
)

logger = logging.getLogger(__name__)

MIN_SUPPORTED_VERSION = Version("2.0")
_RETRY_STATUSES = frozenset({429, 502, 503, 504})
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_MAX_ERROR_TEXT = 500


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long idempotent calls are retried.

    Delays grow as ``backoff * 2**attempt`` (capped at ``max_delay``) with full
    jitter; a server's ``Retry-After`` wins when present. No retry starts once
    ``max_total`` seconds have passed since the first attempt.
    """

    max_attempts: int = 5
    backoff: float = 0.25
    max_delay: float = 8.0
    max_total: float = 60.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"RetryPolicy.max_attempts must be >= 1, got {self.max_attempts}")
        if self.backoff < 0 or self.max_delay < 0 or self.max_total < 0:
            raise ValueError("RetryPolicy delays must be >= 0")

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to sleep before retry number ``attempt`` (0-based)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_total)
        return random.uniform(0, min(self.max_delay, self.backoff * 2**attempt))


@dataclass(frozen=True)
class ServerFeatures:
    """Request shapes that depend on the server version."""

    version: Version

    @property
    def labels_endpoint(self) -> bool:
        """Labels live at ``/api/labels?task_id=`` (2.4+) instead of inline in the task."""
        return self.version >= Version("2.4")

    @property
    def jobs_endpoint(self) -> bool:
        """Jobs are listed at ``/api/jobs?task_id=`` (2.4+) instead of ``/tasks/<id>/jobs``."""
        return self.version >= Version("2.4")

    @property
    def predefined_sorting(self) -> bool:
        """``sorting_method=predefined`` keeps the upload order (2.4.6+)."""
        return self.version >= Version("2.4.6")

    @property
    def mask_shapes(self) -> bool:
        """The server accepts ``mask`` shapes (2.3+)."""
        return self.version >= Version("2.3")

    @property
    def requests_api(self) -> bool:
        """Background operations are reported at ``/api/requests/<rq_id>`` (2.12+)."""
        return self.version >= Version("2.12")


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


class CVATClient:
    """An authenticated, retrying HTTP session with one CVAT server.

    Args:
        url: the server's base URL, e.g. ``"https://app.cvat.ai"``.
        username, password, email: credentials for session login.
        token: a legacy REST token (sent as ``Authorization: Token <key>``).
        access_token: a personal access token (sent as ``Authorization: Bearer``).
        headers: extra headers for every request.
        organization: organization slug sent as ``X-Organization``.
        verify: ``True`` (default), ``False`` (insecure, logs a warning) or the
            path of a CA bundle.
        timeout: seconds for connecting and for each read/write.
        retry: the :class:`RetryPolicy` of idempotent calls.
        login: log in and detect the version right away (default ``True``).
    """

    def __init__(
        self,
        url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        email: str | None = None,
        token: str | None = None,
        access_token: str | None = None,
        headers: Mapping[str, str] | None = None,
        organization: str | None = None,
        verify: bool | str = True,
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
        login: bool = True,
    ) -> None:
        if not url or not isinstance(url, str):
            raise ValueError("url must be the CVAT server's address, e.g. 'http://localhost:8080'")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"url must start with http:// or https://, got {url!r}")
        if timeout <= 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout}")
        if password is not None and not (username or email):
            raise ValueError("password given without username or email")
        self.url = url.rstrip("/")
        self.organization = organization
        self.retry = retry or RetryPolicy()
        self._username = username
        self._password = password
        self._email = email
        self._secrets = [s for s in (password, token, access_token) if s]
        self._version: Version | None = None
        #: HTTP requests sent, retries included (the client is shared by a run's task threads)
        self.request_count = 0
        self._count_lock = threading.Lock()
        self._login_lock = threading.Lock()
        self._session = 0  # renewals so far: threads that hit one expiry renew it once

        if verify is False:
            logger.warning(
                "TLS certificate verification is OFF for %s: traffic (including credentials) "
                "can be intercepted. Pass verify=True or a CA bundle path instead.",
                self.url,
            )
        all_headers: dict[str, str] = {"Accept": "application/vnd.cvat+json, application/json"}
        all_headers.update(headers or {})
        self._secrets += [v for k, v in all_headers.items() if k.lower() == "authorization"]
        if organization and not any(k.lower() == "x-organization" for k in all_headers):
            all_headers["X-Organization"] = organization
        if token and access_token:
            raise ValueError("pass either token or access_token, not both")
        if token:
            all_headers["Authorization"] = f"Token {token}"
        elif access_token:
            all_headers["Authorization"] = f"Bearer {access_token}"
        self._http = httpx.Client(
            base_url=self.url,
            headers=all_headers,
            verify=_tls_context(verify),
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=8, max_keepalive_connections=8),
            follow_redirects=True,
        )
        if login:
            try:
                self.login()
            except BaseException:
                self.close()
                raise

    def __repr__(self) -> str:
        user = self._username or self._email or "<token>"
        return f"CVATClient(url={self.url!r}, user={user!r})"

    # -- lifecycle ---------------------------------------------------------

    def __enter__(self) -> CVATClient:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()

    def __del__(self) -> None:
        # runs and APIs are often dropped without close(); never leak their sockets
        try:
            http = getattr(self, "_http", None)
            if http is not None and not http.is_closed:
                http.close()
        except Exception:  # interpreter shutdown: modules are gone, nothing to release
            pass

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._http.is_closed

    # -- auth and version --------------------------------------------------

    def login(self) -> None:
        """Authenticate (if a password was given) and detect the server version."""
        if self._password is not None:
            body = {"password": self._password}
            if self._username:
                body["username"] = self._username
            if self._email:
                body["email"] = self._email
            try:
                self.request("POST", "/api/auth/login", json=body, idempotent=True)
            except CVATNotFound:
                raise CVATUnsupportedVersion(
                    f"{self.url} has no /api/auth/login: it is not a CVAT server or runs a "
                    "version older than 2.0 (API v1), which labelloop does not support. "
                    "Check the url or upgrade CVAT to 2.0 or newer."
                ) from None
            except CVATBadRequest as err:
                raise CVATAuthError(
                    f"Login to {self.url} as {self._username or self._email!r} failed: "
                    f"{(err.server_message or 'credentials refused').rstrip('.')}. Check the username and "
                    "password (LABELLOOP_CVAT_USERNAME / LABELLOOP_CVAT_PASSWORD).",
                    status=err.status,
                    method="POST",
                    path="/api/auth/login",
                ) from None
            csrf = self._http.cookies.get("csrftoken")
            if csrf:
                self._http.headers["X-CSRFToken"] = csrf
            self._http.headers.setdefault("Referer", self.url + "/api/auth/login")
            logger.debug("Logged in to %s", self.url)
        self._version = self._detect_version()

    def _detect_version(self) -> Version:
        about = self.get_json("/api/server/about")
        raw = str(about.get("version", "")) if isinstance(about, dict) else ""
        try:
            version = Version(raw)
        except InvalidVersion:
            raise CVATUnsupportedVersion(
                f"{self.url}/api/server/about reports version {raw!r}, which is not a CVAT "
                "version labelloop understands; check the url points at a CVAT >= 2.0 server"
            ) from None
        if version < MIN_SUPPORTED_VERSION:
            raise CVATUnsupportedVersion(
                f"CVAT {version} at {self.url} is not supported; labelloop needs CVAT 2.0 or "
                "newer. Upgrade the server."
            )
        logger.debug("CVAT server %s runs version %s", self.url, version)
        return version

    @property
    def server_version(self) -> Version:
        """The server's version (detected at login)."""
        if self._version is None:
            self._version = self._detect_version()
        return self._version

    @property
    def features(self) -> ServerFeatures:
        """Version-dependent request shapes of this server."""
        return ServerFeatures(self.server_version)

    # -- requests ----------------------------------------------------------

    def absolute_path(self, url: str) -> str:
        """``url`` as a path on this server (servers behind proxies report other hosts)."""
        parts = urlsplit(url)
        if not parts.scheme:
            return url if url.startswith("/") else "/" + url
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        files: Callable[[], Mapping[str, Any]] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        expected: tuple[int, ...] | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        """Send one request, retrying when that is safe; raise a typed error on failure.

        ``files`` is a factory returning httpx's ``files`` mapping so that file
        handles are opened afresh for each attempt (and closed afterwards).
        ``idempotent`` defaults to ``True`` for GET/HEAD/OPTIONS/PUT/DELETE.
        An expired session (401) is renewed by logging in again, once.
        """
        method = method.upper()
        path = self.absolute_path(path)
        if idempotent is None:
            idempotent = method in _IDEMPOTENT_METHODS
        call = dict(
            params=params,
            json=json,
            data=data,
            files=files,
            content=content,
            headers=headers,
            expected=expected,
            timeout=timeout,
        )
        session = self._session
        try:
            return self._send(method, path, idempotent, **call)
        except CVATAuthError as err:
            if err.status != 401 or self._password is None or path == "/api/auth/login":
                raise
            with self._login_lock:
                if session == self._session:  # no other thread renewed it meanwhile
                    logger.info("Session on %s expired; logging in again", self.url)
                    self._http.cookies.clear()
                    self._http.headers.pop("X-CSRFToken", None)
                    self.login()
                    self._session += 1
            return self._send(method, path, idempotent, **call)

    def _send(
        self,
        method: str,
        path: str,
        idempotent: bool,
        *,
        params: Mapping[str, Any] | None,
        json: Any,
        data: Mapping[str, Any] | None,
        files: Callable[[], Mapping[str, Any]] | None,
        content: bytes | None,
        headers: Mapping[str, str] | None,
        expected: tuple[int, ...] | None,
        timeout: float | None,
    ) -> httpx.Response:
        attempts = self.retry.max_attempts if idempotent else 1
        started = time.monotonic()
        extra_timeout = httpx.Timeout(timeout) if timeout else httpx.USE_CLIENT_DEFAULT
        for attempt in range(attempts):
            opened = files() if files is not None else None
            retry_after: float | None = None
            try:
                with self._count_lock:
                    self.request_count += 1
                response = self._http.request(
                    method,
                    path,
                    params=params,
                    json=json,
                    data=data,
                    files=opened,
                    content=content,
                    headers=headers,
                    timeout=extra_timeout,
                )
            except httpx.TimeoutException as err:
                failure: CVATError = CVATTimeoutError(
                    f"{method} {path} on {self.url} timed out ({type(err).__name__}); "
                    "check the server is up and not overloaded, or raise the timeout",
                    method=method,
                    path=path,
                )
            except httpx.TransportError as err:
                hint = "check the url and that the server is running"
                if self.url.startswith("https://") and _PLAIN_HTTP_ANSWER.search(str(err)):
                    hint = (
                        "the server answered in plain HTTP, not TLS: use "
                        f"http://{self.url[len('https://') :]} instead"
                    )
                failure = CVATConnectionError(
                    f"{method} {path}: cannot reach {self.url} ({type(err).__name__}: "
                    f"{self._redact(str(err))}); {hint}",
                    method=method,
                    path=path,
                )
            else:
                if response.status_code not in _RETRY_STATUSES or not idempotent:
                    return self._check(response, method, path, expected)
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                failure = self._error_for(response, method, path)
            finally:
                if opened:
                    _close_files(opened)
            elapsed = time.monotonic() - started
            if attempt + 1 >= attempts:
                break
            delay = self.retry.delay(attempt, retry_after)
            if elapsed + delay > self.retry.max_total:
                break
            logger.info(
                "%s %s failed (%s); retrying in %.2fs (attempt %d/%d)",
                method,
                path,
                failure.status or type(failure).__name__,
                delay,
                attempt + 2,
                attempts,
            )
            time.sleep(delay)
        raise failure

    def _check(
        self,
        response: httpx.Response,
        method: str,
        path: str,
        expected: tuple[int, ...] | None,
    ) -> httpx.Response:
        ok = response.status_code in expected if expected else response.is_success
        if ok:
            return response
        raise self._error_for(response, method, path)

    def _error_for(self, response: httpx.Response, method: str, path: str) -> CVATError:
        status = response.status_code
        server_message = self._redact(_server_message(response))
        where = f"{method} {path} on {self.url} returned {status}"
        detail = f": {server_message}" if server_message else ""
        if status in (401, 403):
            cls: type[CVATError] = CVATAuthError
            hint = "check the credentials and that this user may access the resource"
            if self.organization:
                hint += f" in organization {self.organization!r}"
        elif status == 404:
            cls, hint = CVATNotFound, "the resource does not exist (deleted on the server?)"
        elif status in (400, 409, 413, 422):
            cls, hint = CVATBadRequest, "the server rejected the request's content"
            if status == 413:
                hint = "the request is too large for the server; upload in smaller groups"
        elif status >= 500 or status == 429:
            cls, hint = CVATServerError, "the server failed; check its logs or retry later"
        else:
            cls, hint = CVATError, "unexpected response"
        return cls(
            f"{where}{detail} ({hint})",
            status=status,
            method=method,
            path=path,
            server_message=server_message or None,
        )

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    # -- conveniences ------------------------------------------------------

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        """``GET`` (retried)."""
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        """``POST`` (not retried unless ``idempotent=True``)."""
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        """``PUT`` (retried)."""
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        """``PATCH`` (not retried unless ``idempotent=True``)."""
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        """``DELETE`` (retried)."""
        return self.request("DELETE", path, **kwargs)

    def get_json(self, path: str, **kwargs: Any) -> Any:
        """``GET`` and decode the JSON body."""
        return _json(self.get(path, **kwargs), "GET", path)

    def send_json(self, method: str, path: str, body: Any, **kwargs: Any) -> Any:
        """Send ``body`` as JSON and decode the JSON answer (``None`` if empty)."""
        response = self.request(method, path, json=body, **kwargs)
        return _json(response, method, path) if response.content else None

    def paginate(
        self, path: str, params: Mapping[str, Any] | None = None, page_size: int = 100
    ) -> Iterator[dict[str, Any]]:
        """Yield every item of a paginated listing, following ``next`` links."""
        query = {"page_size": page_size, **(params or {})}
        next_path: str | None = path
        while next_path:
            page = self.get_json(next_path, params=query)
            query = None  # the next link carries the query
            if isinstance(page, list):  # unpaginated endpoints of older servers
                yield from page
                return
            yield from page.get("results", [])
            next_link = page.get("next")
            next_path = self.absolute_path(next_link) if next_link else None


#: What OpenSSL says when a TLS handshake gets a plain-HTTP answer.
_PLAIN_HTTP_ANSWER = re.compile(
    r"WRONG_VERSION_NUMBER|wrong version number|record layer failure|packet length too long",
    re.IGNORECASE,
)


def _tls_context(verify: bool | str) -> bool | ssl.SSLContext:
    """``verify`` as httpx takes it: a CA bundle path (file or directory) becomes a context."""
    if isinstance(verify, bool):
        return verify
    if os.path.isdir(verify):
        return ssl.create_default_context(capath=verify)
    if os.path.isfile(verify):
        return ssl.create_default_context(cafile=verify)
    raise ValueError(f"verify must be True, False or an existing CA bundle path, got {verify!r}")


def _json(response: httpx.Response, method: str, path: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise CVATServerError(
            f"{method} {path} returned {response.status_code} with a body that is not JSON; "
            "is the url a CVAT server?",
            status=response.status_code,
            method=method,
            path=path,
        ) from None


def _server_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:_MAX_ERROR_TEXT].strip()
    if isinstance(body, dict):
        for key in ("detail", "message", "non_field_errors"):
            if key in body:
                value = body[key]
                return str(value[0] if isinstance(value, list) and value else value)[
                    :_MAX_ERROR_TEXT
                ]
    return str(body)[:_MAX_ERROR_TEXT]


def _close_files(files: Mapping[str, Any] | list[tuple[str, Any]]) -> None:
    items = files.values() if isinstance(files, Mapping) else (v for _, v in files)
    for value in items:
        handle = value[1] if isinstance(value, tuple) else value
        close = getattr(handle, "close", None)
        if close is not None:
            close()


__all__ = [
    "CVATClient",
    "RetryPolicy",
    "ServerFeatures",
    "parse_retry_after",
]
