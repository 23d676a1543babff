"""Typed errors raised when talking to a CVAT server.

Each error says what failed (method, path, HTTP status, the server's own
message) and what to check. None of them ever carries credentials: the client
redacts secrets before building a message.
"""

from __future__ import annotations


class CVATError(Exception):
    """Any failure while talking to a CVAT server."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        method: str | None = None,
        path: str | None = None,
        server_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.method = method
        self.path = path
        self.server_message = server_message


class CVATConnectionError(CVATError):
    """The server could not be reached (after retries for idempotent calls)."""


class CVATTimeoutError(CVATError):
    """An operation did not finish within its time budget."""


class CVATAuthError(CVATError):
    """Login failed or the server refused the credentials / permissions (401, 403)."""


class CVATNotFound(CVATError):
    """The requested resource does not exist on the server (404)."""


class CVATBadRequest(CVATError):
    """The server rejected the request's content (400, 409, 413, 422)."""


class CVATServerError(CVATError):
    """The server failed (5xx) and retries, where allowed, did not help."""


class CVATUnsupportedVersion(CVATError):
    """The server speaks an API version labelloop does not support (CVAT < 2.0)."""


class CVATRequestFailed(CVATError):
    """A background request on the server (e.g. media processing) failed."""


class CVATUploadError(CVATError):
    """A media upload could not be completed."""


class CVATCancelled(CVATError):
    """A task's upload stopped early because another task of its run failed or the user
    interrupted; the run's own error (or ``KeyboardInterrupt``) is what the caller sees."""
