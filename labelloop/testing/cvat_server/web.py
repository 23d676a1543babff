"""Request plumbing shared by every resource: errors, JSON, paging, routing.

Handlers are plain ``async def handler(ctx)`` functions; :func:`endpoint`
turns one into a Starlette endpoint that authenticates the caller, resolves
the organization context and renders :class:`ApiError` the way CVAT (Django
REST framework) renders its errors.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

if TYPE_CHECKING:
    from starlette.datastructures import QueryParams

    from labelloop.testing.cvat_server.state import ServerState
    from labelloop.testing.cvat_server.store import Store

JSON_TYPE = "application/vnd.cvat+json"


class ApiError(Exception):
    """An error answer: ``detail`` is a string or a DRF-style field-error dict."""

    def __init__(self, status: int, detail: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}

    def response(self) -> Response:
        body = self.detail if isinstance(self.detail, (dict, list)) else {"detail": self.detail}
        return json_response(body, self.status, self.headers)


class BareError(ApiError):
    """An error whose JSON body is the bare message string (CVAT's data views answer so)."""

    def response(self) -> Response:
        return json_response(str(self.detail), self.status, self.headers)


class PageError(ApiError):
    """An answer Django renders outside DRF: an HTML or text page, not JSON."""

    def response(self) -> Response:
        return Response(str(self.detail), self.status, self.headers, "text/html; charset=utf-8")


def _page(title: str, text: str = "") -> str:
    return (
        f'\n<!doctype html>\n<html lang="en">\n<head>\n  <title>{title}</title>\n</head>\n'
        f"<body>\n  <h1>{title}</h1><p>{text}</p>\n</body>\n</html>\n"
    )


NOT_FOUND_PAGE = _page("Not Found", "The requested resource was not found on this server.")


def page_not_found() -> ApiError:
    """Django's 404 page, for URLs no CVAT view serves."""
    return PageError(404, NOT_FOUND_PAGE)


def server_error() -> ApiError:
    """Django's 500 page. CVAT 2.73 crashes on some malformed requests (each caller says
    which); a double that refused them politely would let a client rely on a 400."""
    return PageError(500, _page("Server Error (500)"))


def field_error(name: str, message: str) -> ApiError:
    """A 400 naming one bad field, as ``{"field": ["message"]}``."""
    return ApiError(400, {name: [message]})


def not_found() -> ApiError:
    return ApiError(404, "Not found.")


def forbidden() -> ApiError:
    return ApiError(403, "You do not have permission to perform this action.")


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":")),
        status_code=status,
        media_type=JSON_TYPE,
        headers=headers,
    )


def raw_json_response(text: str, status: int = 200) -> Response:
    """Answer with JSON text that is already encoded (large annotation payloads)."""
    return Response(text, status_code=status, media_type=JSON_TYPE)


@dataclass
class User:
    id: int
    username: str
    group: str

    @property
    def is_admin(self) -> bool:
        return self.group == "admin"


@dataclass
class Ctx:
    """Everything a handler needs about the current request."""

    request: Request
    state: ServerState
    user: User | None
    org_id: int | None = None
    org_given: bool = False
    path_params: dict[str, Any] = field(default_factory=dict)

    @property
    def store(self) -> Store:
        return self.state.store

    @property
    def query(self) -> QueryParams:
        return self.request.query_params

    def url(self, path: str) -> str:
        """Absolute URL of a server path, as CVAT puts in ``url`` fields."""
        return str(self.request.base_url).rstrip("/") + path

    def int_param(self, name: str) -> int:
        return int(self.path_params[name])

    def query_int(self, name: str, default: int | None = None) -> int | None:
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise field_error(name, "A valid integer is required.") from None

    async def json(self) -> Any:
        """The JSON body; like CVAT (DRF's JSONParser) other media types get 415."""
        body = await self.request.body()
        if not body:
            return {}
        require_json(self.request)
        try:
            return json.loads(body, parse_constant=_strict_constant)
        except ValueError as exc:  # DRF's words, with Python's own parser message
            raise ApiError(400, f"JSON parse error - {exc}") from None

    async def json_object(self) -> dict[str, Any]:
        data = await self.json()
        if not isinstance(data, dict):
            raise field_error("non_field_errors", "Invalid data. Expected a dictionary.")
        return data

    def require_user(self) -> User:
        if self.user is None:
            raise ApiError(401, "Authentication credentials were not provided.")
        return self.user


def _strict_constant(token: str) -> Any:
    """DRF's strict JSON: ``NaN`` and ``Infinity`` are not JSON, so a 400."""
    raise ValueError(f"Out of range float values are not JSON compliant: {token!r}")


def require_json(request: Request) -> None:
    """415 unless the body is declared ``application/json``, as DRF's JSONParser demands."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise ApiError(415, f'Unsupported media type "{media}" in request.')


Handler = Callable[[Ctx], Awaitable[Response]]


def _sorted(ctx: Ctx, items: list[Any]) -> list[Any]:
    """Apply ``?sort=name,-id`` (DRF ordering: unknown fields are ignored)."""
    sort = ctx.query.get("sort")
    if not sort or not items or not hasattr(items[0], "keys"):
        return items
    columns = set(items[0].keys())
    for field_name in reversed([f.strip() for f in sort.split(",") if f.strip()]):
        name = field_name.lstrip("-")
        if name not in columns and f"{name}_id" in columns:  # "owner" sorts by owner_id
            name = f"{name}_id"
        if name in columns:
            items = sorted(
                items,
                key=lambda row, n=name: (row[n] is None, row[n] if row[n] is not None else 0),
                reverse=field_name.startswith("-"),
            )
    return items


def paginate(ctx: Ctx, items: list[Any], render: Callable[[Any], Any]) -> Response:
    """CVAT's page-number pagination: ``{count, next, previous, results}`` (after ``sort``)."""
    items = _sorted(ctx, items)
    try:
        page = int(ctx.query.get("page") or 1)
    except ValueError:
        raise ApiError(404, "Invalid page.") from None
    raw_size = ctx.query.get("page_size", "")
    if raw_size == "all":
        page_size = max(len(items), 1)
    else:
        try:
            page_size = int(raw_size)
        except ValueError:
            page_size = 0
        page_size = page_size if page_size > 0 else 10
    start = (page - 1) * page_size
    if page < 1 or (page > 1 and start >= len(items)):
        raise ApiError(404, "Invalid page.")

    def link(number: int) -> str:
        params = dict(ctx.query)
        params["page"] = str(number)
        return ctx.url(ctx.request.url.path) + "?" + urlencode(params)

    return json_response(
        {
            "count": len(items),
            "next": link(page + 1) if start + page_size < len(items) else None,
            "previous": link(page - 1) if page > 1 else None,
            "results": [render(item) for item in items[start : start + page_size]],
        }
    )


def text(value: Any, name: str) -> str:
    """A string field; numbers are taken as text, lists/objects refused (as DRF's CharField)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise field_error(name, "Not a valid string.")


def as_bool(value: Any, name: str) -> bool:
    """Parse a boolean the way DRF does for form and JSON input."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off", ""):
        return False
    raise field_error(name, "Must be a valid boolean.")


def as_int(value: Any, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """Parse an integer field, with DRF's messages for bad or out-of-range values."""
    if isinstance(value, bool):
        raise field_error(name, "A valid integer is required.")
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise field_error(name, "A valid integer is required.") from None
    if minimum is not None and number < minimum:
        raise field_error(name, f"Ensure this value is greater than or equal to {minimum}.")
    if maximum is not None and number > maximum:
        raise field_error(name, f"Ensure this value is less than or equal to {maximum}.")
    return number
